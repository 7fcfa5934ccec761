from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return HttpResponse("Not built yet", status=501)


my_listings = _todo
listing_create = _todo
listing_edit = _todo
listing_photos = _todo
listing_availability = _todo
listing_publish = _todo
listing_pause = _todo
listing_archive = _todo
listing_duplicate = _todo
listings_pause_bulk = _todo
