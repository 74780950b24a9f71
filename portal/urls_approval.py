"""Approval aids (issue 8): 会签/或签 mode, 常用意见 under my/phrases/, the opinion record PDF.

Included from portal/urls.py with path("", include("portal.urls_approval")).
"""

from django.urls import path

from portal.views import countersign, opinions, phrases

urlpatterns = [
    path(
        "office/countersign/<int:call_pk>/mode/",
        countersign.office_mode,
        name="office_countersign_mode",
    ),
    path("my/phrases/", phrases.phrase_list, name="phrase_list"),
    path("my/phrases/<int:pk>/move/", phrases.phrase_move_view, name="phrase_move"),
    path("my/phrases/<int:pk>/delete/", phrases.phrase_delete_view, name="phrase_delete"),
    path(
        "office/opinions/<int:call_pk>.pdf",
        opinions.opinion_record_pdf,
        name="opinion_record_pdf",
    ),
]
