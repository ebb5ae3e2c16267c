"""Choices of the end-customer data app."""

from django.db import models

from retainops.core.choices import JOB_STATE_COLOURS, JobState


class SourceKind(models.TextChoices):
    MARKETPLACE = "marketplace", "Marketplace export"
    STORE = "store", "Own store"
    RETAILER = "retailer", "Retailer sell-out report"
    OTHER = "other", "Other"


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    PARQUET = "parquet", "Parquet"


class Field(models.TextChoices):
    """What a column of an order file can mean."""

    ORDER_ID = "order_id", "Order id"
    ORDERED_ON = "ordered_on", "Order date"
    CUSTOMER_NAME = "customer_name", "Customer name"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    ADDRESS = "address", "Postal address"
    ITEM = "item", "Item"
    QUANTITY = "quantity", "Quantity"
    AMOUNT = "amount", "Amount"
    CURRENCY = "currency", "Currency"


REQUIRED_FIELDS = (Field.ORDER_ID, Field.ORDERED_ON, Field.AMOUNT)


# An order file's import moves like any background import of a file.
RunState = JobState
RUN_STATE_COLOURS = JOB_STATE_COLOURS


class Segment(models.TextChoices):
    """Named segments, in the order a customer is given the first that fits."""

    NEW = "new", "New"
    LAPSED = "lapsed", "Lapsed"
    CHAMPIONS = "champions", "Champions"
    AT_RISK = "at_risk", "At risk"
    ONE_TIME = "one_time", "One-time"
    REPEAT = "repeat", "Repeat"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    CATALOGUE = "catalogue", "Printed catalogue"
    SMS = "sms", "Text message"
    NONE = "none", "Do not contact"


class Decision(models.TextChoices):
    SPLIT = "split", "Split (not the same person)"
    MERGE = "merge", "Merge (the same person)"
