from django.db import models


class SearchTerm(models.Model):
    """A word that occurs in published listings: the vocabulary that corrects typos in search queries.

    On PostgreSQL `word` is a full-text lexeme (stemmed, as in `Listing.search_vector`) with a trigram index, so a
    misspelt query word finds its nearest real word in milliseconds; on SQLite it is a lower-cased word. Kept by
    `listings.services.search_terms_add` when a listing is published and rebuilt nightly (`search_terms_rebuild`).
    """

    word = models.CharField(max_length=60, unique=True)
    documents = models.PositiveIntegerField(default=0, help_text="Published listings using the word (at rebuild).")

    def __str__(self) -> str:
        return self.word
