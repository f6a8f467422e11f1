"""Code, project, data and model links in a paper's texts. Pure Python: no Django.

extract_links() finds the http(s) URLs an abstract or summary names, cleaned of what digests glue
to them (a full stop, a Chinese word, a closing bracket of the sentence), and classifies each. The
rule is strict on purpose: a link is shown to readers as a badge, so anything doubtful is left out
rather than guessed (no userinfo, no IP address or single-label host, no other scheme; a URL that
machine translation split with spaces is repaired only where the split is unambiguous).
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

CODE, PROJECT, DATA, MODEL = "code", "project", "data", "model"
KINDS = (CODE, PROJECT, DATA, MODEL)
MAX_URL_LENGTH = 500

# The start of a URL, as written or as machine translation spaces it out: "https: //", "http：//".
# Only these gaps are repaired: around the colon and the slashes nothing else can be meant.
# (Spelled out rather than IGNORECASE and a lookbehind, which made the search three times slower.)
_START = re.compile(r"([hH][tT][tT][pP][sS]?)\s*[:：]\s*/\s*/\s*")
# What a URL is made of once it starts: printable ASCII, no spaces, quotes or angle brackets. Any
# other character (a Chinese word or full-width punctuation glued on) ends it.
_BODY = re.compile(r"[!#-&(-;=?-\[\]_a-z~]+", re.IGNORECASE)
# Sentence punctuation that follows a URL rather than belonging to it.
_TRAILING = ".,;:!?'\"*"
_CLOSERS = {")": "(", "]": "["}
# A URL cut by inserted spaces: the text goes on with a slash or a dot right after the gap.
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_SPLIT_AFTER = re.compile(r"\s+[/.][^\s]")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")

CODE_HOSTS = {
    "github.com", "gitlab.com", "bitbucket.org", "gitee.com", "codeberg.org", "gist.github.com",
    "sourceforge.net", "colab.research.google.com",
}  # fmt: skip
DATA_HOSTS = {"zenodo.org", "figshare.com", "data.mendeley.com", "physionet.org", "www.openml.org"}
# Hosts whose paths name repositories case-insensitively: two spellings are one link.
_CASELESS_PATH_HOSTS = {"github.com", "gitlab.com"}
# huggingface.co/<first segment>/…: what is not a model repository there.
_HF_NOT_MODELS = {"docs", "blog", "papers", "learn", "spaces", "datasets", "collections", "models", "tasks"}


@dataclass(frozen=True)
class Link:
    url: str
    kind: str


def extract_links(*texts):
    """The links in `texts`, in order of first appearance, each once (see link_key)."""
    found = {}
    for text in texts:
        for url in _urls(text or ""):
            key, kind = link_key(url), classify(url)
            if kind == CODE and not key[1]:
                continue  # github.com itself names no code ("https://github.com/ owner / repo", split)
            if key not in found:
                found[key] = Link(url, kind)
    return list(found.values())


def _urls(text):
    if "/" not in text:
        return  # most texts: a URL has slashes
    position = 0
    while match := _START.search(text, position):
        body = _BODY.match(text, match.end())
        position = match.end()
        if body is None or _ASCII_ALNUM.fullmatch(text[match.start() - 1 : match.start()]):
            continue  # "xhttp://": not where a URL starts (a Chinese word before it is: "见https://")
        position = body.end()
        if _SPLIT_AFTER.match(text, body.end()):
            continue  # "https://github.com/ owner / repo": which parts belong together is a guess
        url = clean(f"{match.group(1).lower()}://{body.group()}")
        if url is not None:
            yield url


def clean(candidate):
    """The URL `candidate` stands for, without trailing punctuation, or None if it is no real link."""
    url = _strip_trailing(candidate)
    if len(url) > MAX_URL_LENGTH:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or "@" in parts.netloc or not is_real_host(parts.hostname):
        return None
    netloc = parts.hostname + (f":{port}" if port is not None else "")
    return parts._replace(scheme=parts.scheme, netloc=netloc).geturl()


def _strip_trailing(url):
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last]):
            url = url[:-1]  # "(see https://x.org/a)": the bracket is the sentence's
        else:
            break
    return url


def is_real_host(host):
    """A DNS name of two or more labels ending in a top-level domain: no IP address, no "localhost"."""
    if not host or len(host) > 253:
        return False
    labels = host.split(".")
    return (
        len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and _TLD.fullmatch(labels[-1]) is not None
    )


def link_key(url):
    """What two spellings of one link share: the host's case (already folded), a trailing slash, and
    for repository hosts the path's case."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if parts.hostname in _CASELESS_PATH_HOSTS:
        path = path.lower()
    return (parts.hostname, path, parts.query, parts.fragment)


def classify(url):
    parts = urlsplit(url)
    host = parts.hostname.removeprefix("www.") if parts.hostname != "www.openml.org" else parts.hostname
    segments = [s for s in parts.path.split("/") if s]
    if host in ("huggingface.co", "hf.co"):
        first = segments[0] if segments else ""
        if first == "spaces" and len(segments) >= 3:  # spaces/<owner>/<name>
            return CODE
        if first == "datasets" and len(segments) >= 2:
            return DATA
        if len(segments) >= 2 and first not in _HF_NOT_MODELS:
            return MODEL
        return PROJECT
    if host in CODE_HOSTS:
        return CODE
    if host in DATA_HOSTS or host.endswith(".figshare.com"):
        return DATA
    if host == "kaggle.com" and segments[:1] == ["datasets"]:
        return DATA
    return PROJECT


# The texts a paper's links are read from, in order: the authors' own abstract first (their spelling
# of a URL), then the digest's summary, then the machine translation and the titles.
SOURCE_FIELDS = ("abstract_en", "summary_zh", "abstract_zh", "title_en", "title_zh")


def paper_links(texts):
    """The links of a paper whose texts are `texts` (field name → text or None)."""
    return extract_links(*(texts.get(name) for name in SOURCE_FIELDS))
