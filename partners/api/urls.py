from rest_framework.routers import SimpleRouter

from partners.api import views

router = SimpleRouter()
router.register("partner-types", views.PartnerTypeViewSet, basename="partnertype")
router.register("regions", views.RegionViewSet, basename="region")
router.register("partners", views.PartnerViewSet, basename="partner")

urlpatterns = router.urls
