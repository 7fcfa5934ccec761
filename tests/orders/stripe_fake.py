"""A stateful fake Stripe for the tests: localstripe's API (PaymentIntents, refunds, payment methods, events,
signed webhooks) served in the test process on 127.0.0.1, plus what localstripe 1.15.10 lacks, added as routes and
middleware on the same aiohttp server so that every call the application makes still crosses HTTP (nothing in the
Stripe SDK is patched):

- Connect: `POST/GET /v1/accounts` (Express), `POST /v1/account_links`, `POST /v1/accounts/<id>/login_links`,
  `POST/GET /v1/transfers` (checks the destination can receive transfers and the source charge) and
  `POST /v1/transfers/<id>/reversals`, with their events (`account.updated` and `payout.*` carry the connected
  `account`, as Stripe's Connect endpoint sends them);
- stand-ins for what people and Stripe's schedule do, under `/_config/connect/` (no API key, like localstripe's
  `/_config/`): the seller finishing hosted onboarding, Stripe restricting an account, a bank payout of a
  connected account;
- idempotency keys: a POST repeated with the same key replays the first answer (`Idempotent-Replayed: true`); the
  same key with other parameters is a 400 `idempotency_error`, as on Stripe;
- what Stripe.js does from the Payment Element: `POST /v1/payment_intents/<id>/confirm` with the card the buyer
  chose and the client secret (localstripe's confirm takes no payment method);
- what Stripe does and localstripe does not: `transfer_group` and `description` on PaymentIntents, the test payment
  methods `pm_card_chargeDeclined` and `pm_card_authenticationRequired`, a card error that carries its
  PaymentIntent, a fee on each charge's balance transaction (1.4 % + 20), refunds that cannot exceed what is left
  of the charge, and `charge.refunded` / `refund.created` events;
- faults on demand (`fail_next`): the next requests to a path answer 500 before the server acts (never arrived) or
  after it acted (the answer was lost).

localstripe keeps its state in module globals, so there is one server per test process (tests.harness starts it)
and `reset()` empties it between tests. Its store would pickle itself to /tmp on every write: switched off below.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from aiohttp import web

with warnings.catch_warnings():
    # localstripe registers plain functions as handlers, which aiohttp deprecates; ours wraps them (_async).
    warnings.filterwarnings("ignore", "Bare functions are deprecated", DeprecationWarning)
    from localstripe import server as localstripe_server
from localstripe import webhooks as localstripe_webhooks
from localstripe.errors import UserError
from localstripe.resources import (
    Charge,
    Event,
    List,
    PaymentIntent,
    PaymentMethod,
    Refund,
    StripeObject,
    random_id,
    schedule_webhook,
    store,
    try_convert_to_bool,
    try_convert_to_int,
)

# No pickling of the store to /tmp (an instance attribute shadows Store.dump_to_disk).
store.dump_to_disk = lambda: None

API_KEY = "sk_test_guildhall"
PUBLISHABLE_KEY = "pk_test_guildhall"
WEBHOOK_SECRET = "whsec_test_platform"
CONNECT_WEBHOOK_SECRET = "whsec_test_connect"
FEE_BPS, FEE_FIXED = 140, 20

# Stripe's test payment methods that localstripe does not know, as the card numbers it does.
EXTRA_TEST_CARDS = {
    "pm_card_chargeDeclined": "4000000000000341",  # declined when charged
    "pm_card_authenticationRequired": "4000002500003155",  # 3-D Secure, then succeeds
}
_canonical_article = PaymentMethod._try_get_canonical_test_article


def _test_article(cls, id):
    number = EXTRA_TEST_CARDS.get(id)
    if number:
        return PaymentMethod(type="card", card={"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"})
    return _canonical_article(id)


PaymentMethod._try_get_canonical_test_article = classmethod(_test_article)

_trigger_payment = Charge._trigger_payment


def _trigger_payment_with_fee(self, on_success=None):
    """Stripe keeps a fee from every charge, on its balance transaction; localstripe's fee is always 0."""

    def with_fee():
        transaction = store.get(f"balance_transaction:{self.balance_transaction}")
        if transaction is not None:
            transaction.fee = FEE_FIXED + self.amount * FEE_BPS // 10_000
            transaction.fee_details = [{"amount": transaction.fee, "currency": self.currency, "type": "stripe_fee"}]
        if on_success:
            on_success()

    return _trigger_payment(self, on_success=with_fee)


Charge._trigger_payment = _trigger_payment_with_fee


def _emit(kind: str, obj: StripeObject, account: str | None = None) -> Event:
    event = Event(kind, obj)
    if account:
        event.account = account
    schedule_webhook(event)
    return event


# --- Connect resources ------------------------------------------------------------------------------------


ONBOARDING_REQUIREMENTS = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        type=None,
        email=None,
        country=None,
        capabilities=None,
        business_type=None,
        metadata=None,
        **kwargs,
    ):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        if type not in ("express", "standard", "custom"):
            raise UserError(400, "Invalid type: must be one of express, standard or custom", {"param": "type"})
        if capabilities is not None and not isinstance(capabilities, dict):
            raise UserError(400, "Bad request", {"param": "capabilities"})
        super().__init__()
        self.type = type
        self.email = email
        self.country = country or "GB"
        self.default_currency = "gbp"
        self.business_type = business_type
        self.metadata = metadata or {}
        self.capabilities = {
            name: "inactive"
            for name, wish in (capabilities or {}).items()
            if try_convert_to_bool((wish or {}).get("requested"))
        }
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements = {
            "currently_due": list(ONBOARDING_REQUIREMENTS),
            "eventually_due": list(ONBOARDING_REQUIREMENTS),
            "past_due": list(ONBOARDING_REQUIREMENTS),
            "disabled_reason": "requirements.past_due",
        }

    def _onboarded(self) -> None:
        self.details_submitted = True
        self.charges_enabled = "card_payments" in self.capabilities
        self.payouts_enabled = True
        self.capabilities = {name: "active" for name in self.capabilities}
        self.requirements = {"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None}

    def _restricted(self) -> None:
        self.payouts_enabled = False
        self.charges_enabled = False
        self.capabilities = {name: "inactive" for name in self.capabilities}
        self.requirements = {
            "currently_due": ["individual.verification.document"],
            "eventually_due": ["individual.verification.document"],
            "past_due": ["individual.verification.document"],
            "disabled_reason": "requirements.past_due",
        }

    @classmethod
    def _api_create(cls, **data):
        return cls(**data)


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer=None, amount=None, currency=None, metadata=None):
        super().__init__()
        self.transfer = transfer
        self.amount = amount
        self.currency = currency
        self.metadata = metadata or {}


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        amount=None,
        currency=None,
        destination=None,
        transfer_group=None,
        source_transaction=None,
        description=None,
        metadata=None,
        **kwargs,
    ):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        amount = try_convert_to_int(amount)
        if not isinstance(amount, int) or amount <= 0:
            raise UserError(400, "Invalid positive integer", {"param": "amount"})
        if not isinstance(currency, str) or len(currency) != 3:
            raise UserError(400, "Invalid currency", {"param": "currency"})
        account = store.get(f"account:{destination}")
        if account is None:
            raise UserError(400, f"No such destination: '{destination}'", {"param": "destination"})
        if account.capabilities.get("transfers") != "active":
            raise UserError(
                400,
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                {"code": "insufficient_capabilities_for_transfer", "param": "destination"},
            )
        if source_transaction is not None:
            charge = store.get(f"charge:{source_transaction}")
            if charge is None or charge.status != "succeeded":
                raise UserError(400, f"No such charge: '{source_transaction}'", {"param": "source_transaction"})
            if amount > charge.amount - charge.amount_refunded:
                raise UserError(
                    400,
                    "The transfer amount exceeds what is left of the source transaction.",
                    {"param": "amount", "code": "transfer_source_balance_parameters_mismatch"},
                )
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.destination = destination
        self.destination_payment = "py_" + random_id(24)
        self.transfer_group = transfer_group
        self.source_transaction = source_transaction
        self.description = description
        self.metadata = metadata or {}
        self.amount_reversed = 0
        self.reversed = False
        self.balance_transaction = "txn_" + random_id(24)
        _emit("transfer.created", self)

    @property
    def reversals(self):
        reversals = List(f"/v1/transfers/{self.id}/reversals")
        reversals._list = [
            value for key, value in store.items() if key.startswith("transfer_reversal:") and value.transfer == self.id
        ]
        return reversals

    @classmethod
    def _api_create(cls, **data):
        return cls(**data)

    @classmethod
    def _api_list_all(cls, url, transfer_group=None, destination=None, limit=None, starting_after=None):
        listing = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        listing._list = [
            transfer
            for transfer in listing._list
            if (transfer_group is None or transfer.transfer_group == transfer_group)
            and (destination is None or transfer.destination == destination)
        ]
        return listing

    @classmethod
    def _api_reverse(cls, id, amount=None, metadata=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        transfer = cls._api_retrieve(id)
        left = transfer.amount - transfer.amount_reversed
        amount = left if amount is None else try_convert_to_int(amount)
        if not isinstance(amount, int) or not 0 < amount <= left:
            raise UserError(400, "The reversal amount exceeds what is left of the transfer.", {"param": "amount"})
        reversal = TransferReversal(transfer=transfer.id, amount=amount, currency=transfer.currency, metadata=metadata)
        transfer.amount_reversed += amount
        transfer.reversed = transfer.amount_reversed == transfer.amount
        _emit("transfer.reversed", transfer)
        return reversal


class ConnectedPayout(StripeObject):
    """A bank payout Stripe makes from a connected account on its own schedule."""

    object = "payout"
    _id_prefix = "po_"

    def __init__(self, account: str, amount: int, currency: str):
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.status = "pending"
        self.arrival_date = int(time.time()) + 2 * 24 * 3600
        self.automatic = True
        self.destination = "ba_" + random_id(24)
        self.metadata = {}
        self._account = account


# --- Routes -----------------------------------------------------------------------------------------------


def _async(handler: Callable) -> Callable:
    """localstripe's GET handlers are plain functions, which aiohttp deprecates: wrapped in coroutines."""
    if asyncio.iscoroutinefunction(handler):
        return handler

    async def run(request: web.Request) -> web.StreamResponse:
        return handler(request)

    return run


def _json(data: Any, status: int = 200) -> web.Response:
    return localstripe_server.json_response(data, status=status)


async def _data(request: web.Request) -> dict[str, Any]:
    return await localstripe_server.get_post_data(request) or {}


async def payment_intent_create(request: web.Request) -> web.Response:
    """localstripe's, plus transfer_group and description, and the PaymentIntent inside a card error."""
    data = await _data(request)
    expand = data.pop("expand", None)
    confirm = try_convert_to_bool(data.pop("confirm", None))
    extra = {name: data.pop(name) for name in ("transfer_group", "description") if name in data}
    intent = PaymentIntent(**data)
    for name, value in extra.items():
        setattr(intent, name, value)
    if confirm:
        try:
            intent._confirm(on_failure_now=intent._report_failure)
        except UserError as error:
            if error.code == 402:
                error.body["error"]["type"] = "card_error"
                error.body["error"]["payment_intent"] = intent._export()
            raise
    return _json(intent._export(expand=expand))


async def payment_intent_confirm(request: web.Request) -> web.Response:
    """What Stripe.js's `confirmPayment` does from the Payment Element (localstripe's confirm takes no payment
    method): attaches the card the buyer typed (`payment_method`, a test card here), checks the client secret when
    the publishable key sends it, and confirms. A declined card is a 402 card error carrying the PaymentIntent, which
    goes back to `requires_payment_method` for another card."""
    data = await _data(request)
    intent = PaymentIntent._api_retrieve(request.match_info["id"])
    expand = data.pop("expand", None)
    client_secret = data.pop("client_secret", None)
    data.pop("return_url", None)
    data.pop("key", None)
    if client_secret is not None and client_secret != intent.client_secret:
        raise UserError(401, "Unauthorized")
    payment_method = data.pop("payment_method", None)
    if data:
        raise UserError(400, "Unexpected " + ", ".join(data))
    if payment_method is not None:
        if intent.status not in ("requires_payment_method", "requires_confirmation"):
            raise UserError(
                400, f"This PaymentIntent's status is {intent.status}.", {"code": "payment_intent_unexpected_state"}
            )
        PaymentMethod._api_retrieve(payment_method)
        intent.payment_method = payment_method
        intent.latest_charge = None  # a new attempt: a declined card's charge stays in the store
    if intent.status != "requires_confirmation":
        raise UserError(
            400, f"This PaymentIntent's status is {intent.status}.", {"code": "payment_intent_unexpected_state"}
        )
    try:
        intent._confirm(on_failure_now=intent._report_failure)
    except UserError as error:
        if error.code == 402:
            error.body["error"]["type"] = "card_error"
            error.body["error"]["payment_intent"] = intent._export()
        raise
    return _json(intent._export(expand=expand))


async def refund_create(request: web.Request) -> web.Response:
    """localstripe's, refusing more than is left of the charge, with Stripe's refund events."""
    data = await _data(request)
    expand = data.pop("expand", None)
    intent_id, charge_id = data.get("payment_intent"), data.get("charge")
    charge = None
    if intent_id:
        intent = store.get(f"payment_intent:{intent_id}")
        if intent is None:
            raise UserError(400, f"No such payment_intent: '{intent_id}'", {"param": "payment_intent"})
        charge = intent.latest_charge
    elif charge_id:
        charge = store.get(f"charge:{charge_id}")
    amount = try_convert_to_int(data.get("amount"))
    if charge is not None and isinstance(amount, int) and amount > charge.amount - charge.amount_refunded:
        raise UserError(
            400,
            f"Refund amount ({amount}) is greater than unrefunded amount on charge "
            f"({charge.amount - charge.amount_refunded})",
            {"param": "amount", "code": "amount_too_large"},
        )
    refund = Refund._api_create(**data)
    _emit("refund.created", refund)
    _emit("charge.refunded", Charge._api_retrieve(refund.charge))
    return _json(refund._export(expand=expand))


async def account_link_create(request: web.Request) -> web.Response:
    data = await _data(request)
    account = store.get(f"account:{data.get('account')}")
    if account is None:
        raise UserError(400, f"No such account: '{data.get('account')}'", {"param": "account"})
    for name in ("refresh_url", "return_url"):
        if not str(data.get(name, "")).startswith(("http://", "https://")):
            raise UserError(400, f"Not a valid URL: {name}", {"param": name})
    if data.get("type") not in ("account_onboarding", "account_update"):
        raise UserError(400, "Invalid type", {"param": "type"})
    now = int(time.time())
    token = random_id(12)
    FakeStripe.current.account_links.append({**data, "token": token})
    return _json(
        {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"{FakeStripe.current.url}/_config/connect/onboarding/{account.id}/{token}",
        }
    )


def login_link_create(id, **kwargs):
    account = Account._api_retrieve(id)
    if not account.details_submitted:
        raise UserError(400, "Cannot create a login link for an account that has not completed onboarding.")
    return _Plain({"object": "login_link", "created": int(time.time()), "url": f"https://connect.example/{id}"})


class _Plain:
    """An answer that is not a stored object (links)."""

    def __init__(self, data: dict[str, Any]):
        self.data = data

    def _export(self, expand=None):
        return self.data


async def onboarding_finish(request: web.Request) -> web.Response:
    """The seller completes Stripe's hosted onboarding."""
    account = Account._api_retrieve(request.match_info["id"])
    account._onboarded()
    _emit("account.updated", account, account=account.id)
    return _json(account._export())


async def account_restrict(request: web.Request) -> web.Response:
    """Stripe needs more from the seller: payouts stop until they give it."""
    account = Account._api_retrieve(request.match_info["id"])
    account._restricted()
    _emit("account.updated", account, account=account.id)
    return _json(account._export())


async def connected_payout(request: web.Request) -> web.Response:
    """Stripe pays a connected account's balance into its bank: payout.created, then payout.paid."""
    account = Account._api_retrieve(request.match_info["id"])
    data = await _data(request)
    payout = ConnectedPayout(account.id, try_convert_to_int(data.get("amount")), data.get("currency", "gbp"))
    _emit("payout.created", payout, account=account.id)
    payout.status = "paid"
    _emit("payout.paid", payout, account=account.id)
    return _json(payout._export())


# --- The server -------------------------------------------------------------------------------------------


@dataclass
class _Fault:
    pattern: re.Pattern[str]
    times: int
    after: bool


@dataclass
class _Saved:
    fingerprint: tuple[str, tuple[tuple[str, str], ...]]
    status: int
    body: bytes


class FakeStripe:
    """The fake server, in a thread of the test process. `url` is what STRIPE_API_BASE points at."""

    current: FakeStripe

    def __init__(self) -> None:
        self.url = ""
        self.account_links: list[dict[str, Any]] = []
        self.replays = 0
        self._saved: dict[tuple[str, str, str], _Saved] = {}
        self._faults: list[_Fault] = []
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None

    # --- middleware -------------------------------------------------------------------------------------

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        for fault in list(self._faults):
            if fault.pattern.search(f"{request.method} {request.path}"):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                if fault.after:
                    await handler(request)
                return web.json_response(
                    {"error": {"type": "api_error", "message": "An unknown error occurred."}},
                    status=500,
                    headers={"Stripe-Should-Retry": "false"},
                )
        return await handler(request)

    @web.middleware
    async def _idempotency_middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        scope = (request.headers.get("Authorization", ""), request.headers.get("Stripe-Account", ""), key)
        fingerprint = (request.path, tuple(sorted((await request.post()).items())))
        saved = self._saved.get(scope)
        if saved is not None:
            if saved.fingerprint != fingerprint:
                return _json(
                    {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with the same parameters "
                            f"they were first used with. Try using a key other than '{key}' if you meant to "
                            "execute a different request.",
                        }
                    },
                    status=400,
                )
            self.replays += 1
            return web.Response(
                status=saved.status,
                body=saved.body,
                content_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            response = await handler(request)
        except UserError as error:
            response = error.to_response()
        if response.status < 500 and isinstance(response, web.Response) and response.body is not None:
            self._saved[scope] = _Saved(fingerprint, response.status, bytes(response.body))
        return response

    # --- the application --------------------------------------------------------------------------------

    def _application(self) -> web.Application:
        app = web.Application(
            middlewares=[
                self._fault_middleware,
                localstripe_server.error_middleware,
                localstripe_server.auth_middleware,
                self._idempotency_middleware,
            ]
        )
        api_create, api_retrieve = localstripe_server.api_create, localstripe_server.api_retrieve
        api_update, api_list_all = localstripe_server.api_update, localstripe_server.api_list_all
        api_extra = localstripe_server.api_extra
        # Ours first: the router takes the first route that matches.
        app.router.add_post("/v1/payment_intents", payment_intent_create)
        app.router.add_post("/v1/payment_intents/{id}/confirm", payment_intent_confirm)
        app.router.add_post("/v1/refunds", refund_create)
        app.router.add_post("/v1/account_links", account_link_create)
        app.router.add_post("/v1/accounts/{id}/login_links", api_extra(login_link_create, ""))
        app.router.add_post("/v1/accounts", api_create(Account, "/v1/accounts"))
        app.router.add_get("/v1/accounts/{id}", _async(api_retrieve(Account, "")), allow_head=False)
        app.router.add_post("/v1/accounts/{id}", api_update(Account, "/v1/accounts/{id}"))
        app.router.add_post("/v1/transfers/{id}/reversals", api_extra(Transfer._api_reverse, ""))
        app.router.add_post("/v1/transfers", api_create(Transfer, "/v1/transfers"))
        app.router.add_get("/v1/transfers", _async(api_list_all(Transfer, "/v1/transfers")), allow_head=False)
        app.router.add_get("/v1/transfers/{id}", _async(api_retrieve(Transfer, "")), allow_head=False)
        app.router.add_post("/_config/connect/accounts/{id}/onboard", onboarding_finish)
        app.router.add_post("/_config/connect/accounts/{id}/restrict", account_restrict)
        app.router.add_post("/_config/connect/accounts/{id}/payouts", connected_payout)
        for route in localstripe_server.app.router.routes():
            if route.method != "HEAD":
                app.router.add_route(route.method, route.resource.canonical, _async(route.handler))
        return app

    @classmethod
    def start(cls) -> FakeStripe:
        fake = cls()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(fake._loop)
            runner = web.AppRunner(fake._application(), access_log=None)
            fake._loop.run_until_complete(runner.setup())
            fake._loop.run_until_complete(web.SockSite(runner, sock).start())
            ready.set()
            fake._loop.run_forever()
            fake._loop.run_until_complete(runner.cleanup())

        fake._thread = threading.Thread(target=serve, name="fake-stripe", daemon=True)
        fake._thread.start()
        if not ready.wait(10):
            raise RuntimeError("The fake Stripe server did not start.")
        cls.current = fake
        return fake

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _in_loop(self, work: Callable[[], Any]) -> Any:
        """Runs `work` in the server's thread, between requests, so it never sees state half-written."""

        async def run() -> Any:
            return work()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    # --- for the tests ----------------------------------------------------------------------------------

    def reset(self) -> None:
        def clear() -> None:
            for task in asyncio.all_tasks(self._loop):
                if getattr(task.get_coro(), "__qualname__", "") == "_send_webhook":
                    task.cancel()
            store.clear()
            localstripe_webhooks._webhooks.clear()
            self._saved.clear()
            self._faults.clear()
            self.account_links.clear()
            self.replays = 0

        self._in_loop(clear)

    def configure(self, settings) -> None:
        """Points the Django settings at this server and uses the stripe gateway."""
        settings.STRIPE_SECRET_KEY = API_KEY
        settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
        settings.STRIPE_API_BASE = self.url
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
        settings.PAYMENT_GATEWAY = "stripe"

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every stored object of a kind ("payment_intent", "refund", "transfer", "account", ...), oldest first."""
        return self._in_loop(lambda: [obj._export() for key, obj in store.items() if key.startswith(f"{kind}:")])

    def events(self, *types: str) -> list[dict[str, Any]]:
        """The events the server has sent (or would send), oldest first; only those of `types` if given."""
        return [event for event in self.objects("event") if not types or event["type"] in types]

    def fail_next(self, path_pattern: str, *, times: int = 1, after: bool = False) -> None:
        """The next `times` requests whose "METHOD /path" matches answer 500: before the server acted, or (after)
        having acted, as when the answer is lost on the way back."""
        self._in_loop(lambda: self._faults.append(_Fault(re.compile(path_pattern), times, after)))

    def reset_faults(self) -> None:
        self._in_loop(self._faults.clear)

    def post(self, path: str, **data: Any) -> dict[str, Any]:
        """A request to the server as a test stands in for someone else (a buyer's browser, a seller on Stripe's
        pages, Stripe's schedule)."""
        response = requests.post(
            f"{self.url}{path}", data=data, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def authenticate(self, payment_intent: str, *, success: bool = True) -> dict[str, Any]:
        """The buyer completes (or fails) 3-D Secure in their browser."""
        client_secret = next(pi for pi in self.objects("payment_intent") if pi["id"] == payment_intent)["client_secret"]
        return self.post(
            f"/v1/payment_intents/{payment_intent}/_authenticate",
            client_secret=client_secret,
            success="true" if success else "false",
        )

    def confirm_in_browser(self, payment_intent: str, payment_method: str, *, client_secret: str) -> requests.Response:
        """The buyer confirms the PaymentIntent in Stripe's Payment Element with the client secret the pay page gave
        it. (Stripe.js authenticates with the publishable key; localstripe accepts only secret keys, so this stands
        in with the secret key and the client secret is checked.)"""
        return requests.post(
            f"{self.url}/v1/payment_intents/{payment_intent}/confirm",
            data={"payment_method": payment_method, "client_secret": client_secret, "return_url": "https://x.test/"},
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=10,
        )

    def onboard(self, account: str) -> dict[str, Any]:
        """The seller finishes Stripe's hosted onboarding."""
        return self.post(f"/_config/connect/accounts/{account}/onboard")

    def restrict(self, account: str) -> dict[str, Any]:
        return self.post(f"/_config/connect/accounts/{account}/restrict")

    def pay_out(self, account: str, amount: int, currency: str = "gbp") -> dict[str, Any]:
        return self.post(f"/_config/connect/accounts/{account}/payouts", amount=amount, currency=currency)

    def register_webhook(self, name: str, url: str, secret: str, events: list[str] | None = None) -> None:
        data: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            data["events"] = events
        response = requests.post(f"{self.url}/_config/webhooks/{name}", json=data, timeout=10)
        response.raise_for_status()


def signature_header(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header as Stripe computes it: HMAC-SHA256 of "<timestamp>.<payload>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True).encode()


# --- Helpers for the tests (Django is set up by the time they run) ----------------------------------------


def use_stripe(server: FakeStripe, settings, monkeypatch) -> FakeStripe:
    """An empty fake server, the settings pointing at it, and the stripe gateway registered."""
    from orders.gateways import GATEWAYS

    monkeypatch.setitem(GATEWAYS, "stripe", "orders.gateways.stripe.StripeGateway")
    server.reset()
    server.configure(settings)
    return server


def onboarded_seller(fake: FakeStripe, member=None):
    """A member whose Express account has finished onboarding (Stripe enabled payouts, and we know it)."""
    from orders import connect
    from tests.factories import MemberFactory

    member = member or MemberFactory()
    account = connect.stripe_account_get_or_create(member=member)
    fake.onboard(account.account_id)
    connect.stripe_account_refresh(account=account)
    return member


def deliver(client, event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None):
    """Posts an event to our webhook endpoint as Stripe does: Connect events (with an `account`) signed with the
    Connect endpoint's secret, the platform's own with the platform endpoint's."""
    body = event_body(event)
    secret = secret or (CONNECT_WEBHOOK_SECRET if event.get("account") else WEBHOOK_SECRET)
    return client.post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body, secret, timestamp=timestamp),
    )
