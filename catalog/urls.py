from django.urls import path

from . import api, views

app_name = "catalog"

urlpatterns = [
    path("", views.letter_list, name="home"),
    path("letters/", views.letter_list, name="letter-list"),
    path("volumes/<slug:identifier>/", views.volume_detail, name="volume"),
    path("volumes/<slug:identifier>/d<int:number>/", views.letter_detail, name="letter"),
    # Old addresses (a document's xml id from an earlier release) reach the letter through this one.
    path("volumes/<slug:identifier>/<str:xml_id>/", views.letter_by_xml_id, name="letter-by-id"),
    path("people/<slug:slug>/", views.person_detail, name="person"),
    path("api/letters/<slug:identifier>/<int:number>/", api.letter_detail, name="api-letter"),
]
