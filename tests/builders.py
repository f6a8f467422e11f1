"""Small builders for digest files, shared by the tests and the benchmarks.

They write text the way the real digests in seeds/ are laid out, so a test states only what it cares about.
"""

from dataclasses import dataclass, field

LEGEND = "LG - 机器学习 \u00a0 CV - 计算机视觉 \u00a0 CL - 计算与语言 \u00a0 AS - 音频与语音 RO - 机器人"
MARKER = "translated by 谷歌翻译"


@dataclass
class Entry:
    title: str
    arxiv_id: str | None = None
    area: str = "LG"
    authors: list[str] = field(default_factory=lambda: ["A Author", "B Writer"])
    institutions: list[str] | None = field(default_factory=lambda: ["Some University"])
    title_zh: str = "中文标题"
    summary_zh: str = "这是中文摘要。"
    abstract_en: str = "This is the English abstract."
    truncated: bool = False

    def authors_line(self):
        return ", ".join(self.authors) + ("..." if self.truncated else "")


def daily_digest(main, other=(), *, summary_items=None):
    items = summary_items if summary_items is not None else [e.title_zh for e in [*main, *other]]
    lines = [LEGEND, "", "转自爱可可爱生活", "", "摘要:" + "、".join(items), "\u00a0", ""]
    for number, e in enumerate(main, 1):
        lines += [f"{number}、[{e.area}] {e.title}", "", e.authors_line()]
        if e.institutions is not None:
            lines.append("[" + " & ".join(e.institutions) + "]")
        lines += [f"{e.title_zh}。{e.summary_zh}", "", e.abstract_en, ""]
        if e.arxiv_id:
            lines.append(f"https://arxiv.org/abs/{e.arxiv_id}")
        lines += ["", "\u00a0", ""]
    if other:
        lines += ["另外几篇值得关注的论文:", "", "\u00a0", ""]
        for e in other:
            lines += [f"[{e.area}] {e.title}", "", e.title_zh, e.authors_line()]
            if e.institutions is not None:
                lines.append("[" + " & ".join(e.institutions) + "]")
            if e.arxiv_id:
                lines.append(f"https://arxiv.org/abs/{e.arxiv_id}")
            lines += ["", "\u00a0", ""]
    lines += ["内容中包含的图片若涉及版权问题,请及时与我们联系删除"]
    return "\n".join(lines).encode()


def stream_digest(abstracts):
    return "\n".join(f"{text}\n{MARKER}" for text in abstracts).encode()
