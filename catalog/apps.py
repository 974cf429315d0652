from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from catalog import caching

        caching.connect_signals()  # saves and deletes of public records invalidate the page cache
