"""What the fuzz test starts from: every page each role can open, its links and its forms.

The fuzz mutates what the pages themselves offer (a filter link's query, a roster action's address, a
form filled as a person would fill it), so it reaches the code behind a valid request, not only the
first check a random request fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.urls import Resolver404, resolve

# Pages the crawl does not follow: they end the login, leave the site, finish the world's session, or probe
# the servers (/healthz/sweep is 503 where no task cluster runs).
SKIPPED_VIEWS = {"logout", "sso_login", "sso_callback", "finish", "session_remove", "healthz", "healthz_sweep"}
MAX_PAGES_PER_ROLE = 150


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # the input's type ("text", "date", "select", "file", "checkbox", ...)
    default: str | None
    options: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Form:
    role: str
    action: str
    method: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Link:
    role: str
    path: str
    query: tuple[tuple[str, str], ...]


class _Page(HTMLParser):
    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._select: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        # Links, images (a check-in photo) and a link shown for copying (the remote link) are addresses to fuzz.
        if tag == "a" and attrs.get("href"):
            self.links.append(urljoin(self.url, attrs["href"]))
        elif tag == "img" and attrs.get("src"):
            self.links.append(urljoin(self.url, attrs["src"]))
        elif tag == "input" and "readonly" in attrs and attrs.get("value", "").startswith("http"):
            self.links.append(attrs["value"])
        elif tag == "form":
            action = urljoin(self.url, attrs.get("action") or self.url)
            self.forms.append({"action": action, "method": attrs.get("method", "get").lower(), "fields": []})
        elif self.forms and tag in ("input", "textarea", "button") and attrs.get("name"):
            self._input(tag, attrs)
        elif self.forms and tag == "select" and attrs.get("name"):
            self._select = {"name": attrs["name"], "options": [], "selected": None}
        elif self._select is not None and tag == "option":
            self._select["options"].append(attrs.get("value", ""))
            if "selected" in attrs:
                self._select["selected"] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            options = [value for value in self._select["options"] if value] or self._select["options"]
            default = self._select["selected"] or (options[0] if options else "")
            self.forms[-1]["fields"].append(Field(self._select["name"], "select", default, tuple(options)))
            self._select = None

    def _input(self, tag, attrs):
        kind = "textarea" if tag == "textarea" else attrs.get("type", "submit" if tag == "button" else "text")
        kind = kind.lower()
        if kind in ("checkbox", "radio") and "checked" not in attrs:
            default = None
        else:
            default = attrs.get("value", "on" if kind == "checkbox" else None)
        self.forms[-1]["fields"].append(Field(attrs["name"], kind, default, required="required" in attrs))


def _route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.url_name in SKIPPED_VIEWS or "logout" in (match.url_name or ""):
        return None
    return match.view_name


def crawl(clients: dict, seeds: list[str]) -> tuple[list[Link], list[Form]]:
    """Open the seeds and every page they link to, as each role, once per view and set of query keys."""
    links: dict[tuple, Link] = {}
    forms: dict[tuple, Form] = {}
    for role, client in clients.items():
        queue, seen = list(seeds), set()
        while queue and len(seen) < MAX_PAGES_PER_ROLE:
            url = urlsplit(queue.pop(0))
            view = _route_of(url.path)
            query = tuple(parse_qsl(url.query, keep_blank_values=True))
            key = (view, tuple(sorted(name for name, _ in query)))
            if url.netloc not in ("", "testserver") or view is None or key in seen:
                continue
            seen.add(key)
            links[(role, *key)] = Link(role, url.path, query)
            response = client.get(url.path, query)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            page = _Page(f"http://testserver{url.path}")
            page.feed(response.content.decode("utf-8", "replace"))
            queue.extend(page.links)
            for found in page.forms:
                _keep_form(forms, role, found)
    return list(links.values()), list(forms.values())


def _keep_form(forms: dict, role: str, found: dict) -> None:
    action = urlsplit(found["action"])
    view = _route_of(action.path)
    # The admin's own forms save and delete for real (a person's legitimate changes): its links are fuzzed.
    if view is None or view.startswith("admin:") or action.netloc not in ("", "testserver"):
        return
    fields = tuple(found["fields"])
    path = action.path + (f"?{action.query}" if action.query else "")
    # One form per view and set of fields, but each action of it (approve and decline; a roster's actions).
    action_words = tuple(part for part in action.path.split("/") if part and not part.isdigit() and len(part) < 30)
    key = (role, view, action_words, found["method"], tuple(each.name for each in fields))
    forms.setdefault(key, Form(role, path, found["method"], fields))
