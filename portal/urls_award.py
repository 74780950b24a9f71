"""评审认定 → 授牌: the applicant's declaration under acceptance/, the office's pages under
office/acceptance/ (a round's draw and sheets by acceptance id, the rest by application id), and
the public list of awarded bases under awards/."""

from django.urls import path

from portal.views import award

urlpatterns = [
    path("acceptance/<int:pk>/declare/", award.acceptance_declare, name="acceptance_declare"),
    path("office/acceptance/", award.office_acceptance_list, name="office_acceptance_list"),
    path("office/acceptance/<int:pk>/", award.office_acceptance, name="office_acceptance"),
    path("office/acceptance/rounds/<int:pk>/draw/", award.acceptance_draw, name="acceptance_draw"),
    path(
        "office/acceptance/rounds/<int:pk>/scores/",
        award.acceptance_scores,
        name="acceptance_scores",
    ),
    path("office/acceptance/<int:pk>/award/", award.award_grant, name="award_grant"),
    path(
        "office/acceptance/<int:pk>/terminate/",
        award.application_terminate,
        name="application_terminate",
    ),
    path("awards/", award.award_list, name="award_list"),
    path("awards/<int:pk>/certificate.pdf", award.award_certificate, name="award_certificate"),
]
