"""API of end-customer data: the purchase model on any customers
(POST /analytics/bgnbd), and data sets, sources with their mappings, imports,
segments, customers and channel advice of the clients the caller sees."""

import math
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Body, File, Query, Router, Status
from ninja.files import UploadedFile

from retainops.audience import advice, analysis, services
from retainops.audience.models import AdviceRule, DataSet, ImportRun, Source
from retainops.audience.queries import visible_data_sets
from retainops.audience.schemas import (
    BgNbdIn,
    BgNbdOut,
    ChannelPlanOut,
    CustomerOut,
    DataSetIn,
    DataSetOut,
    ImportRunOut,
    OrderSourceIn,
    RuleIn,
    RuleOut,
    SegmentOut,
    SourceOut,
)
from retainops.clients.queries import visible_clients
from retainops.stats import StatsInputError
from retainops.stats.bgnbd import (
    conditional_expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
)

router = Router(tags=["audience"])
analytics = Router(tags=["analytics"])


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


@analytics.post("", response=BgNbdOut)
def bgnbd(request: HttpRequest, payload: BgNbdIn) -> dict[str, Any]:
    """Fit BG/NBD to the customers' (frequency, recency, T); with `t`, each customer's
    expected purchases over t and P(alive); with every `monetary_value` too, the
    Gamma-Gamma p, q, gamma and each customer's expected value."""
    x = np.array([c.frequency for c in payload.customers], dtype=float)
    t_x = np.array([c.recency for c in payload.customers], dtype=float)
    age = np.array([c.T for c in payload.customers], dtype=float)
    try:
        fit = fit_bgnbd(x, t_x, age)
    except StatsInputError as error:
        raise ValidationError({"customers": [str(error)]}) from None
    answer: dict[str, Any] = {
        "r": fit.r,
        "alpha": fit.alpha,
        "a": fit.a,
        "b": fit.b,
        "log_likelihood": fit.log_likelihood,
    }
    monetary = [c.monetary_value for c in payload.customers]
    values = None
    if all(m is not None for m in monetary):
        m = np.array(monetary, dtype=float)
        try:
            spend = fit_gamma_gamma(x, m)
        except StatsInputError as error:
            raise ValidationError({"customers.monetary_value": [str(error)]}) from None
        answer.update(p=spend.p, q=spend.q, gamma=spend.gamma)
        values = spend.expected_spend(x, m)
    if payload.t is not None:
        try:
            expected = conditional_expected_purchases(fit, payload.t, x, t_x, age)
        except StatsInputError as error:
            raise ValidationError({"t": [str(error)]}) from None
        alive = probability_alive(fit, x, t_x, age)
        answer["customers"] = [
            {
                "expected_purchases": float(e),
                "p_alive": float(p),
                "expected_value": None if values is None else _finite(float(e * v)),
            }
            for e, p, v in zip(
                expected, alive, values if values is not None else expected, strict=True
            )
        ]
    return answer


def _data_set(request: HttpRequest, pk: int) -> DataSet:
    return get_object_or_404(visible_data_sets(request.user), pk=pk)


@router.get("/audience/data-sets", response=list[DataSetOut])
def list_data_sets(request: HttpRequest) -> Any:
    return visible_data_sets(request.user)


@router.post("/audience/data-sets", response={201: DataSetOut})
def add_data_set(request: HttpRequest, payload: DataSetIn) -> Status:
    client = visible_clients(request.user).filter(pk=payload.client).first()
    if client is None:
        raise ValidationError({"client": ["No client of yours has that id."]})
    data = payload.model_dump(exclude={"client"})
    return Status(201, services.create_data_set(by=request.user, client=client, **data))


@router.get("/audience/data-sets/{data_set_id}/sources", response=list[SourceOut])
def list_sources(request: HttpRequest, data_set_id: int) -> Any:
    return _data_set(request, data_set_id).sources.prefetch_related("columns")


@router.post("/audience/data-sets/{data_set_id}/sources", response={201: SourceOut})
def add_source(request: HttpRequest, data_set_id: int, payload: OrderSourceIn) -> Status:
    data_set = _data_set(request, data_set_id)
    values = payload.model_dump(exclude={"mapping"})
    source = services.add_source(by=request.user, data_set=data_set, **values)
    if payload.mapping:
        services.save_mapping(by=request.user, source=source, mapping=payload.mapping)
    return Status(201, source)


def _source(request: HttpRequest, pk: int) -> Source:
    return get_object_or_404(
        Source.objects.filter(data_set__in=visible_data_sets(request.user)), pk=pk
    )


@router.put("/audience/sources/{source_id}/mapping", response=SourceOut)
def put_mapping(request: HttpRequest, source_id: int, payload: Body[dict[str, str]]) -> Source:
    source = _source(request, source_id)
    return services.save_mapping(by=request.user, source=source, mapping=payload)


@router.post("/audience/sources/{source_id}/imports", response={202: ImportRunOut})
def upload(request: HttpRequest, source_id: int, file: File[UploadedFile]) -> Status:
    """Queue a file for import; poll the run for its progress and outcome."""
    source = _source(request, source_id)
    return Status(
        202,
        services.receive_file(
            by=request.user, source=source, name=file.name or "upload", content=file
        ),
    )


@router.get("/audience/imports/{run_id}", response=ImportRunOut)
def import_run(request: HttpRequest, run_id: int) -> ImportRun:
    runs = ImportRun.objects.filter(source__data_set__in=visible_data_sets(request.user))
    return get_object_or_404(runs, pk=run_id)


@router.get("/audience/data-sets/{data_set_id}/segments", response=list[SegmentOut])
def segments(request: HttpRequest, data_set_id: int) -> Any:
    return analysis.segment_summary(_data_set(request, data_set_id).pk)


@router.get("/audience/data-sets/{data_set_id}/customers", response=list[CustomerOut])
def customers(
    request: HttpRequest,
    data_set_id: int,
    segment: str = "",
    page: int = Query(1, ge=1, le=1_000_000),
) -> Any:
    if page < 1:
        raise ValidationError({"page": ["Pages start at 1."]})
    _total, rows = analysis.customers(
        _data_set(request, data_set_id).pk, segment=segment, limit=100, offset=(page - 1) * 100
    )
    return rows


@router.get("/audience/data-sets/{data_set_id}/advice", response=list[ChannelPlanOut])
def channel_advice(request: HttpRequest, data_set_id: int) -> Any:
    return advice.plan(_data_set(request, data_set_id))


@router.post("/audience/data-sets/{data_set_id}/rules", response={201: RuleOut})
def add_rule(request: HttpRequest, data_set_id: int, payload: RuleIn) -> Status:
    data_set = _data_set(request, data_set_id)
    return Status(
        201, services.save_rule(by=request.user, data_set=data_set, **payload.model_dump())
    )


@router.get("/audience/data-sets/{data_set_id}/rules", response=list[RuleOut])
def list_rules(request: HttpRequest, data_set_id: int) -> Any:
    return AdviceRule.objects.filter(data_set=_data_set(request, data_set_id))
