"""Health bands, their order and badge colours, and the states of a trained model."""

from django.db import models


class Band(models.TextChoices):
    GREEN = "green", "Healthy"
    AMBER = "amber", "Watch"
    RED = "red", "At risk"


BAND_COLOURS = {"green": "green", "amber": "amber", "red": "red"}
# Higher is healthier: a fall in rank is a drop of band.
BAND_RANK = {Band.RED: 0, Band.AMBER: 1, Band.GREEN: 2}


class ModelState(models.TextChoices):
    TRAINED = "trained", "Trained"
    FAILED = "failed", "Could not be trained"
