"""Customers over HTTP: place and pay orders through the real web server, as a browser would."""

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal

CARD = {"name": "Ada Lovelace", "number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123"}
ORDER_URL = re.compile(r"/orders/([0-9a-f-]{36})/$")


@dataclass
class Outcome:
    order_id: str | None = None
    placed: int = 0  # HTTP status of placing (200 after the redirect), or 0 when the connection failed
    paid: int = 0
    error: str = ""


class Shopper:
    def __init__(self, base_url: str, *, name: str = "Ada Lovelace"):
        self.base = base_url
        self.name = name
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _csrf(self) -> str:
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if token is None:
            self.opener.open(self.base + "/", timeout=30).read()
            token = next(c.value for c in self.jar if c.name == "csrftoken")
        return token

    def _post(self, path: str, fields: dict) -> tuple[int, str]:
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": self._csrf(), **fields}).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"Referer": self.base + "/"})
        try:
            with self.opener.open(request, timeout=60) as response:
                response.read()
                return response.status, response.url
        except urllib.error.HTTPError as error:
            error.read()
            return error.code, ""

    def place(self, lines: dict[int, tuple[int, Decimal]]) -> Outcome:
        """Order ``{product_id: (quantity, price seen)}``; the outcome carries the new order's id."""
        fields = {"customer_name": self.name, "customer_email": "ada@example.com"}
        for product_id, (quantity, price) in lines.items():
            fields[f"quantity_{product_id}"] = str(quantity)
            fields[f"price_{product_id}"] = str(price)
        status, url = self._post("/orders/", fields)
        match = ORDER_URL.search(urllib.parse.urlparse(url).path) if url else None
        return Outcome(order_id=match.group(1) if match else None, placed=status)

    def pay(self, outcome: Outcome) -> Outcome:
        outcome.paid, _ = self._post(f"/orders/{outcome.order_id}/pay/", CARD)
        return outcome

    def buy(self, lines: dict[int, tuple[int, Decimal]]) -> Outcome:
        try:
            outcome = self.place(lines)
            return self.pay(outcome) if outcome.order_id else outcome
        except OSError as error:  # the server is down or restarting: the customer saw an error page
            return Outcome(error=f"{type(error).__name__}: {error}")


@dataclass
class Load:
    """Customers buying at ``rate`` orders a second in all, from ``customers`` threads, until stopped."""

    base_url: str
    lines: dict[int, tuple[int, Decimal]]
    rate: float = 4.0
    customers: int = 2
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.customers)]

    def start(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def _run(self, n: int) -> None:
        shopper, pause = Shopper(self.base_url, name=f"Customer {n}"), self.customers / self.rate
        while not self._stop.is_set():
            began = time.monotonic()
            self.outcomes.append(shopper.buy(self.lines))
            self._stop.wait(max(0.0, pause - (time.monotonic() - began)))

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for thread in self._threads:
            thread.join(90)
        return self.outcomes

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.placed != 200 or o.paid != 200]

    def wait_for(self, orders: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.outcomes) < orders and time.monotonic() < deadline:
            time.sleep(0.1)
