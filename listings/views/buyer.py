from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return HttpResponse("Not built yet", status=501)


search = _todo
favourites = _todo
saved_searches = _todo
saved_search_delete = _todo
listing_detail = _todo
favourite_toggle = _todo
