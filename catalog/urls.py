from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.letter_list, name="home"),
    path("letters/", views.letter_list, name="letter-list"),
    path("volumes/", views.volume_list, name="volume-list"),
    path("administrations/", views.administration_list, name="administration-list"),
    path("people/", views.people_list, name="people-list"),
    path("people/<slug:slug>/", views.person_detail, name="person"),
    path("sources/", views.source_list, name="source-list"),
    path("sources/browse/", views.repository_detail, name="source-browse"),
    path("volumes/<slug:identifier>/", views.volume_detail, name="volume"),
    path("volumes/<slug:identifier>/d<int:number>/", views.letter_detail, name="letter"),
    path("volumes/<slug:identifier>/d<int:number>/report/", views.report_error, name="report-error"),
    path("volumes/<slug:identifier>/pg_<int:page>/", views.printed_page, name="printed-page"),
    # Old addresses (a document's xml id from an earlier release) reach the letter through this one.
    path("volumes/<slug:identifier>/<str:xml_id>/", views.letter_by_xml_id, name="letter-by-id"),
]
