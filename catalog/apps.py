from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from catalog import caching, person_letters

        caching.connect_signals()  # saves and deletes of public records invalidate the page cache
        person_letters.connect_signals()  # people's pages' side table follows single saves and deletes
