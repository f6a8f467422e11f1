"""Search latency at 1k, 10k and 100k synthetic papers: the search itself, the whole page, and under load.

    python benchmarks/search_bench.py                          # SQLite: 1,000 / 10,000 / 100,000 papers
    python benchmarks/search_bench.py --sizes 1000,10000 --rounds 3 --requests 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/search_bench.py

Uses a throwaway database (a temporary SQLite file, or a `bench_search` PostgreSQL database that is
dropped afterwards). The corpus grows in steps; at each size it prints, over a fixed set of English,
Chinese and mixed queries:

- search: `papers.search.papers(q)`: the count and the first page of 25 (what the index costs);
- page: GET /search/?q= through the test client (count, page, facets, highlighting, template);
- load: the same pages from 4 client threads against gunicorn (4 workers) on a free local port,
  a fixed number of requests, with throughput.

Papers are inserted directly and in bulk (not through the importer) with text drawn from an ML
vocabulary with a long-tailed (Zipf) word distribution and per-paper topics, so queries have
realistic selectivity: a topic word matches a few percent of the papers, 模型 most of them.
"""

import argparse
import datetime
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throwaway_db import use_throwaway_database  # noqa: E402  (beside this script)

QUERIES = {
    "en": [
        "diffusion",
        "diffusion policy",
        '"language models"',
        "reinforcement learning -robot",
        "graph neural networks",
        "policies",
        "Tsinghua",
        "Wei Zhang",
        "learning",
    ],
    "zh": ["扩散", "扩散模型", "强化学习", "图神经网络", "语音", "模型"],
    "mixed": ["扩散 robot", "transformer 注意力", "diffusion 机器人", "语言模型 alignment"],
}
ALL_QUERIES = [q for group in QUERIES.values() for q in group]

# --- a synthetic corpus ----------------------------------------------------------------------

# (English words, Chinese terms) of 30 research topics; a paper has one main topic and a second.
TOPICS = [
    (
        "diffusion denoising score generative sampling synthesis noise guidance",
        "扩散模型 去噪 生成 采样 图像合成 噪声 引导",
    ),
    (
        "language models llm alignment instruction tuning reasoning prompting",
        "语言模型 大模型 对齐 指令微调 推理 提示",
    ),
    (
        "reinforcement learning policy reward agent exploration offline critic",
        "强化学习 策略 奖励 智能体 探索 离线 价值函数",
    ),
    (
        "robot manipulation grasping locomotion control sim-to-real visuomotor",
        "机器人 操作 抓取 运动控制 仿真到现实",
    ),
    (
        "graph neural networks message passing node classification link",
        "图神经网络 消息传递 节点分类 链接预测",
    ),
    (
        "speech recognition audio speaker acoustic asr voice",
        "语音识别 音频 说话人 语音合成 声学",
    ),
    (
        "vision transformer segmentation detection attention backbone",
        "视觉 注意力机制 分割 检测 骨干网络",
    ),
    (
        "convergence bounds optimization gradient stochastic generalization",
        "收敛 上界 优化 梯度 随机 泛化",
    ),
    (
        "federated clients communication heterogeneity aggregation",
        "联邦学习 客户端 通信 异构 聚合",
    ),
    (
        "recommendation users items ranking click collaborative",
        "推荐系统 用户 物品 排序 点击率 协同过滤",
    ),
    (
        "time series forecasting temporal anomaly seasonal",
        "时间序列 预测 时序 异常检测 周期",
    ),
    (
        "causal inference treatment confounding counterfactual",
        "因果推断 处理效应 混杂 反事实",
    ),
    (
        "adversarial robustness attacks perturbations certified",
        "对抗鲁棒性 攻击 扰动 认证防御",
    ),
    (
        "nerf 3d reconstruction rendering point cloud mesh",
        "三维重建 神经辐射场 渲染 点云 网格",
    ),
    (
        "medical imaging clinical diagnosis mri patients",
        "医学影像 临床 诊断 磁共振 患者",
    ),
    (
        "autonomous driving trajectory lidar planning vehicles",
        "自动驾驶 轨迹 激光雷达 规划 车辆",
    ),
    (
        "code generation programs synthesis repository bugs",
        "代码生成 程序 程序合成 代码库 缺陷",
    ),
    (
        "multimodal vision-language captioning clip grounding",
        "多模态 视觉语言 图像描述 对比预训练 定位",
    ),
    (
        "continual learning forgetting replay incremental",
        "持续学习 灾难性遗忘 回放 增量学习",
    ),
    (
        "quantization pruning compression distillation efficient inference",
        "量化 剪枝 模型压缩 知识蒸馏 高效推理",
    ),
    (
        "gan adversarial generator discriminator",
        "生成对抗网络 生成器 判别器",
    ),
    (
        "contrastive self-supervised representation augmentation",
        "对比学习 自监督 表示学习 数据增强",
    ),
    (
        "differential privacy private membership leakage",
        "差分隐私 隐私保护 成员推断 泄露",
    ),
    (
        "fairness bias demographic disparity",
        "公平性 偏差 人口统计 差异",
    ),
    (
        "bayesian uncertainty calibration posterior",
        "贝叶斯 不确定性 校准 后验",
    ),
    (
        "architecture search nas supernet",
        "神经架构搜索 超网络 搜索空间",
    ),
    (
        "few-shot meta-learning adaptation episodes",
        "小样本 元学习 快速适应",
    ),
    (
        "knowledge graph entities relations embedding",
        "知识图谱 实体 关系 嵌入",
    ),
    (
        "machine translation multilingual low-resource",
        "机器翻译 多语言 低资源",
    ),
    (
        "question answering retrieval passages open-domain",
        "问答 检索 段落 开放域",
    ),
]
COMMON_EN = (
    "we propose method model learning data results show performance approach task tasks based "
    "training paper framework network networks new existing problem experiments demonstrate effective "
    "large scale efficient novel prior work benchmark benchmarks state art outperforms study analysis "
    "across different however while also this these our which can such using both set time real"
).split()
RARE_EN = [
    a + b + c
    for a in ("pro", "con", "tra", "mul", "sta", "per", "dis", "inter", "semi", "hyper")
    for b in ("ba", "ti", "lo", "ver", "gen", "mor", "quan", "spec", "flu", "gra")
    for c in ("tion", "ity", "ics", "ness", "ism", "ance", "ure", "ment")
]  # 800 made-up words for the long tail
COMMON_ZH = (
    "本文 提出 一种 方法 模型 实验 表明 结果 性能 数据 任务 有效 框架 研究 问题 显著 基于 训练 学习 网络"
).split()
CONNECT_ZH = list("的了和在是与对中为并将可以其")
RARE_ZH = [a + b for a in "量子光热声电磁晶格流形谱拓扑核" for b in "场态数谱域界链群环向"]
SURNAMES = (
    "Zhang Wang Li Liu Chen Yang Huang Zhao Wu Zhou "
    "Smith Johnson Brown Garcia Miller Kim Park Singh Kumar Müller"
).split()
GIVEN = (
    "Wei Jing Min Hao Yu Xin Lei Jun Anna John Maria David Sarah Ali Priya Hiroshi Lukas Emma Omar Chen"
).split()
INSTITUTIONS = [
    "Tsinghua University", "Peking University", "MIT", "Stanford University", "CMU", "UC Berkeley",
    "Google Research", "Microsoft Research", "Meta AI", "DeepMind", "Shanghai Jiao Tong University",
    "Zhejiang University", "University of Oxford", "ETH Zurich", "University of Toronto", "Mila",
] + [f"University of {a}{b}" for a in ("North", "South", "East", "West", "New") for b in
     ("field", "brook", "haven", "ford", "ton", "port", "bridge", "mouth", "wick", "dale")]  # fmt: skip
AREAS = ["LG", "CV", "CL", "AS", "RO"]


_CUMULATIVE = {}


def zipf_choices(rng, words, k):
    """k words, the n-th most common one n times rarer than the first (Zipf)."""
    key = id(words)
    if key not in _CUMULATIVE:
        total, cumulative = 0.0, []
        for rank in range(len(words)):
            total += 1 / (rank + 1)
            cumulative.append(total)
        _CUMULATIVE[key] = (words, cumulative)
    return rng.choices(words, cum_weights=_CUMULATIVE[key][1], k=k)


def mixture(rng, n, pools):
    """n words drawn from pools [(probability, words)], shuffled together."""
    counts = [0] * len(pools)
    for pick in rng.choices(range(len(pools)), weights=[w for w, _ in pools], k=n):
        counts[pick] += 1
    words = [w for (_, pool), k in zip(pools, counts, strict=True) for w in zipf_choices(rng, pool, k)]
    rng.shuffle(words)
    return words


def make_paper(rng, n):
    (en_words, zh_words), (en_other, zh_other) = [
        (en.split(), zh.split()) for en, zh in rng.sample(TOPICS, 2)
    ]
    title = " ".join(
        rng.sample(en_words, 3) + rng.sample(COMMON_EN[:12], 1) + zipf_choices(rng, RARE_EN, 2)
    ).title()
    abstract = mixture(
        rng, rng.randint(120, 220), [(0.12, en_words), (0.03, en_other), (0.65, COMMON_EN), (0.2, RARE_EN)]
    )
    summary = mixture(
        rng, rng.randint(25, 45), [(0.2, zh_words), (0.05, zh_other), (0.35, COMMON_ZH), (0.4, RARE_ZH)]
    )
    summary = [w + rng.choice(CONNECT_ZH) for w in summary]
    return {
        "arxiv_id": f"{2300 + n // 90000:04d}.{n % 90000 + 10000:05d}",
        "area": rng.choice(AREAS),
        "title_en": f"{title} {n}",
        "title_zh": "".join(rng.sample(zh_words, 2)) + "的" + rng.choice(COMMON_ZH),
        "summary_zh": "".join(summary) + "。",
        "abstract_en": " ".join(abstract).capitalize() + ".",
        "authors": [f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}" for _ in range(rng.randint(2, 7))],
        "institutions": rng.sample(INSTITUTIONS, rng.randint(1, 3)),
    }


def add_papers(start, count, *, seed=11):
    """Insert papers start..start+count-1 in bulk, index them; returns (seconds to insert, to index)."""
    from django.db import connection, transaction

    from papers import search
    from papers.models import Area, Author, Digest, DigestFormat, Institution, Paper

    rng = random.Random(seed + start)
    areas = {a.code: a for a in Area.objects.all()}
    authors = {a.name: a.pk for a in Author.objects.all()}
    institutions = {i.name: i.pk for i in Institution.objects.all()}
    started = time.perf_counter()
    with transaction.atomic():
        new_ids = []
        for offset in range(0, count, 1000):
            chunk = [make_paper(rng, n) for n in range(start + offset, start + min(count, offset + 1000))]
            day = datetime.date(2023, 1, 1) + datetime.timedelta(days=(start + offset) // 100)
            digest = Digest.objects.create(
                name=f"bench-{start + offset:07d}.txt",
                format=DigestFormat.DAILY,
                checksum=f"{start + offset:064d}",
                published_on=day,
                entry_count=len(chunk),
            )
            for model, names, known in (
                (Author, {a for p in chunk for a in p["authors"]}, authors),
                (Institution, {i for p in chunk for i in p["institutions"]}, institutions),
            ):
                missing = sorted(names - known.keys())
                model.objects.bulk_create(
                    [
                        model(name=n, normalized_name=n.lower(), slug=f"b{len(known) + i}")
                        for i, n in enumerate(missing)
                    ]
                )
                known.update(model.objects.filter(name__in=missing).values_list("name", "pk"))
            papers = Paper.objects.bulk_create(
                [
                    Paper(
                        arxiv_id=p["arxiv_id"],
                        area=areas[p["area"]],
                        title_en=p["title_en"],
                        title_zh=p["title_zh"],
                        summary_zh=p["summary_zh"],
                        abstract_en=p["abstract_en"],
                        listed_digest=digest,
                        listed_on=day,
                        listed_position=i,
                    )
                    for i, p in enumerate(chunk, 1)
                ]
            )
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO papers_authorship (paper_id, author_id, position) VALUES (%s, %s, %s)",
                    [
                        (pp.pk, authors[a], i)
                        for pp, p in zip(papers, chunk, strict=True)
                        for i, a in enumerate(p["authors"], 1)
                    ],
                )
                cursor.executemany(
                    "INSERT INTO papers_affiliation (paper_id, institution_id, position) VALUES (%s, %s, %s)",
                    [
                        (pp.pk, institutions[name], i)
                        for pp, p in zip(papers, chunk, strict=True)
                        for i, name in enumerate(p["institutions"], 1)
                    ],
                )
            new_ids += [p.pk for p in papers]
        inserted = time.perf_counter()
        search.reindex_papers(new_ids)
    indexed = time.perf_counter()
    with connection.cursor() as cursor:
        # What autovacuum would have done by the time readers search (PostgreSQL: statistics, the
        # visibility map for index-only scans, the GIN index's pending list merged).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return inserted - started, indexed - inserted


# --- measuring -------------------------------------------------------------------------------


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def summary(ms):
    return f"median {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 95):6.1f} ms"


def time_search(rounds):
    """The index's part of a search: the matches kept (at most RESULT_LIMIT) and their ranked ids."""
    from papers import search

    per_query = {}
    for _ in range(rounds):
        for q in ALL_QUERIES:
            started = time.perf_counter()
            # What the search page does: the newest matches, then all of them ranked (which counts them).
            list(search.papers(q).values_list("pk", flat=True))
            per_query.setdefault(q, []).append((time.perf_counter() - started) * 1000)
    return per_query


def hits(q):
    from papers import search

    return search.papers(q).count()


def time_pages(rounds):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    per_query = {}
    for _ in range(rounds):
        started = time.perf_counter()
        client.get("/")
        per_query.setdefault(None, []).append((time.perf_counter() - started) * 1000)
        for q in ALL_QUERIES:
            started = time.perf_counter()
            response = client.get("/search/", {"q": q})
            assert response.status_code == 200, (q, response.status_code)
            per_query.setdefault(q, []).append((time.perf_counter() - started) * 1000)
    return per_query


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_under_load(requests, clients, folder):
    port = free_port()
    log = open(folder / "gunicorn.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(clients), "--log-level", "warning"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/search/?q="
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "warm", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log.flush()
                    tail = Path(log.name).read_text()[-3000:]
                    raise RuntimeError(f"gunicorn did not answer; its log ends:\n{tail}") from None
                time.sleep(0.2)
        for q in ALL_QUERIES * clients:  # warm every worker's connection and caches
            urllib.request.urlopen(base + urllib.parse.quote(q), timeout=30).read()

        def fetch(i):
            q = ALL_QUERIES[i % len(ALL_QUERIES)]
            started = time.perf_counter()
            with urllib.request.urlopen(base + urllib.parse.quote(q), timeout=60) as response:
                response.read()
                assert response.status == 200
            return (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            ms = list(pool.map(fetch, range(requests)))
        return ms, requests / (time.perf_counter() - started)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def report(label, per_query, *, detail):
    baseline = per_query.pop(None, None)
    everything = [t for ts in per_query.values() for t in ts]
    print(f"  {label:7} all queries: {summary(everything)}")
    for group, queries in QUERIES.items():
        times = [t for q in queries for t in per_query[q]]
        print(f"  {'':7} {group:5}: {summary(times)}")
    if baseline:
        print(f"  {'':7} (home page, no search, for comparison: {summary(baseline)})")
    if detail:
        for q, ts in per_query.items():
            print(f"  {'':7}   {q!r:34} median {statistics.median(ts):6.1f} ms   {hits(q):7,} hits")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes, increasing")
    parser.add_argument("--rounds", type=int, default=5, help="single-threaded runs of every query")
    parser.add_argument("--requests", type=int, default=400, help="requests under concurrent load")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--detail", action="store_true", help="also print each query's median")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
    os.environ["DJANGO_DEBUG"] = "0"
    tmp = Path(tempfile.mkdtemp(prefix="search-bench-"))
    label, drop_database = use_throwaway_database("bench_search", tmp)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0)
        if not (ROOT / "staticfiles" / "staticfiles.json").exists():
            call_command("collectstatic", interactive=False, verbosity=0)  # pages need the manifest
        have = 0
        for size in sizes:
            insert_s, index_s = add_papers(have, size - have)
            print(
                f"\n{label}, {size:,} papers (added {size - have:,}: inserted in {insert_s:.1f}s, "
                f"indexed in {index_s:.1f}s = {(size - have) / index_s:,.0f} papers/s)"
            )
            have = size
            time_search(1)  # warm caches
            report("search", time_search(args.rounds), detail=args.detail)
            report("page", time_pages(args.rounds), detail=args.detail)
            connections.close_all()
            ms, rate = time_under_load(args.requests, args.clients, tmp)
            print(
                f"  load    {args.clients} clients, {args.requests} pages: {summary(ms)}   {rate:.1f} pages/s"
            )
    finally:
        connections.close_all()
        drop_database()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
