"""The product's URLs plus ``/bench/floor/<token>`` (``bench/floor.py``)."""

from django.urls import path

from bench.floor import floor_booking
from rendezvous.urls import urlpatterns as product_urls

urlpatterns = [path("bench/floor/<str:token>", floor_booking), *product_urls]
