"""Message templates: Django's template language over a declared set of variables.

Templates are checked when saved: every variable they use must be in the
schema below (or added by a process with `register_variables`), so a typo is
refused naming it instead of rendering as an empty string to a client.
"""

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.base import FilterExpression, Node, NodeList, Variable
from django.template.defaulttags import ForNode, IfNode, WithNode
from django.utils import timezone

from retainops.clients.models import Client, ClientTeamMember, Contact
from retainops.clients.queries import with_mrr

Schema = dict[str, Any] | list[Any] | None  # dict: fields; list: [item schema]; None: a value

PERSON: Schema = {"name": None, "first_name": None, "email": None}
CONTACT: Schema = {"name": None, "first_name": None, "email": None, "title": None}
CLIENT: Schema = {
    "name": None,
    "business_unit": None,
    "status": None,
    "industry": None,
    "website": None,
    "external_id": None,
    "mrr": None,
    "account_manager": PERSON,
    "client_success_manager": PERSON,
    "sales_rep": PERSON,
    "creative_director": PERSON,
    "team_lead": PERSON,
    "contacts": [CONTACT],
    "primary_contact": CONTACT,
}
VARIABLES: dict[str, Schema] = {
    "client": CLIENT,
    "sender": PERSON,
    "agency": {"name": None, "logo_url": None},
    "link": None,
    "today": None,
    "meeting": {"title": None, "starts_at": None, "ends_at": None, "location": None},
}

TEXT_ENGINE = Engine(autoescape=False)
HTML_ENGINE = Engine(autoescape=True)


def register_variables(root: str, schema: Schema) -> None:
    """Let templates use `root.*` (a process adds its subject, e.g. `program`)."""
    VARIABLES[root] = schema


def _path_problem(path: str, scope: dict[str, Schema]) -> str | None:
    parts = path.split(".")
    if parts[0] not in scope:
        return path
    node: Schema = scope[parts[0]]
    for part in parts[1:]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and (part.isdigit() or part == "count"):
            node = node[0] if part.isdigit() else None
        else:
            return path
    return None


def _schema_of(path: str, scope: dict[str, Schema]) -> Schema:
    node: Schema = scope.get(path.split(".")[0])
    for part in path.split(".")[1:]:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _variables_in(expression: FilterExpression) -> list[str]:
    found: list[str] = []
    candidates: list[Any] = [expression.var] + [
        arg for _f, args in expression.filters for _l, arg in args
    ]
    for candidate in candidates:
        if isinstance(candidate, Variable) and candidate.lookups is not None:
            found.append(str(candidate.var))
    return found


def _condition_expressions(condition: Any) -> list[FilterExpression]:
    if condition is None:
        return []
    if hasattr(condition, "value") and isinstance(condition.value, FilterExpression):
        return [condition.value]
    return _condition_expressions(getattr(condition, "first", None)) + _condition_expressions(
        getattr(condition, "second", None)
    )


def _check(nodelist: Any, scope: dict[str, Schema], unknown: list[str]) -> None:
    for node in nodelist:
        _check_node(node, scope, unknown)


def _note(expression: FilterExpression, scope: dict[str, Schema], unknown: list[str]) -> None:
    for path in _variables_in(expression):
        problem = _path_problem(path, scope)
        if problem and problem not in unknown:
            unknown.append(problem)


def _check_node(node: Node, scope: dict[str, Schema], unknown: list[str]) -> None:
    if isinstance(node, ForNode):
        sequence_expression: Any = node.sequence
        _note(sequence_expression, scope, unknown)
        sequence = _schema_of(str(sequence_expression.var), scope)
        item = sequence[0] if isinstance(sequence, list) else None
        inner = {**scope, "forloop": {"counter": None, "first": None, "last": None}}
        inner.update(dict.fromkeys(node.loopvars, item))
        _check(node.nodelist_loop, inner, unknown)
        _check(node.nodelist_empty, scope, unknown)
        return
    if isinstance(node, WithNode):
        inner = dict(scope)
        for name, expression in node.extra_context.items():
            _note(expression, scope, unknown)
            inner[name] = _schema_of(str(expression.var), scope)
        _check(node.nodelist, inner, unknown)
        return
    if isinstance(node, IfNode):
        for condition, branch in node.conditions_nodelists:
            for expression in _condition_expressions(condition):
                _note(expression, scope, unknown)
            _check(branch, scope, unknown)
        return
    expression = getattr(node, "filter_expression", None)
    if isinstance(expression, FilterExpression):
        _note(expression, scope, unknown)
    for attribute in node.child_nodelists:
        _check(getattr(node, attribute, NodeList()), scope, unknown)


def validate_template_text(field: str, source: str, *, html: bool = False) -> None:
    """Refuse text that does not parse or that uses a variable outside the schema."""
    engine = HTML_ENGINE if html else TEXT_ENGINE
    try:
        template = engine.from_string(source)
    except TemplateSyntaxError as error:
        raise ValidationError({field: [f"The template does not parse: {error}"]}) from None
    unknown: list[str] = []
    _check(template.nodelist, dict(VARIABLES), unknown)
    if unknown:
        names = ", ".join(unknown)
        raise ValidationError(
            {field: [f"Unknown variable{'s' if len(unknown) > 1 else ''}: {names}"]}
        )


def render_text(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    return _compiled(source, html).render(Context(context, autoescape=html))


@lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> Template:
    # A sweep renders the same few templates for every message of its batch: parse each
    # text once (a compiled template holds no state between renders).
    return (HTML_ENGINE if html else TEXT_ENGINE).from_string(source)


def _person(user: Any) -> dict[str, str]:
    return {"name": str(user), "first_name": user.first_name, "email": user.email}


def client_variables(client: Client | None) -> dict[str, Any]:
    """The `client` variables of a template, read from the record."""
    if client is None:
        return {}
    return clients_variables([client.pk])[client.pk]


def clients_variables(
    client_ids: list[int], members: list[ClientTeamMember] | None = None
) -> dict[int, dict[str, Any]]:
    """The `client` variables of several clients, by id, in three queries whatever their
    number (a sweep's batch renders many messages at once). `members`: the clients'
    team members (with role and user) when the caller has read them."""
    clients = with_mrr(Client.objects.filter(pk__in=client_ids)).select_related("business_unit")
    teams: dict[int, dict[str, Any]] = {pk: {} for pk in client_ids}
    if members is None:
        members = list(
            ClientTeamMember.objects.filter(client_id__in=client_ids).select_related("role", "user")
        )
    for member in members:
        teams[member.client_id][member.role.code] = _person(member.user)
    contacts: dict[int, list[dict[str, Any]]] = {pk: [] for pk in client_ids}
    for c in Contact.objects.filter(client_id__in=client_ids):
        contacts[c.client_id].append(
            {"name": c.name, "first_name": c.name.split(" ")[0], "email": c.email, "title": c.title}
        )
    return {
        client.pk: _variables(client, teams[client.pk], contacts[client.pk]) for client in clients
    }


def _variables(client: Client, team: dict[str, Any], contacts: list[dict[str, Any]]) -> dict:
    return {
        "name": client.name,
        "business_unit": client.business_unit.name,
        "status": client.get_status_display(),
        "industry": client.industry,
        "website": client.website,
        "external_id": client.external_id,
        "mrr": getattr(client, "mrr", 0),
        **team,
        "contacts": contacts,
        "primary_contact": contacts[0] if contacts else {},
    }


def template_context(
    *,
    client: Client | None,
    sender: Any = None,
    extra: dict[str, Any] | None = None,
    client_vars: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`client_vars`: the client's variables when the caller has read them already."""
    return {
        "client": client_vars if client_vars is not None else client_variables(client),
        "sender": _person(sender) if sender is not None else {},
        "agency": {"name": settings.AGENCY_NAME, "logo_url": settings.AGENCY_LOGO_URL},
        "today": timezone.localdate(),
        **(extra or {}),
    }
