"""The words synthetic papers are made of: pure data, no Django.

An ML vocabulary with per-paper topics, so a search for a topic word matches a few percent of the
papers and 模型 most of them, as in real digests; names for a pool of authors; a few hundred
institutions, some with the alias spellings a curator's merge leaves behind.
"""

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

# Authors: given name × surname, numbered (see fake.author_name), so author k is always the same
# person, whatever the seed or the size of the corpus.
_SYLLABLES = (
    "Wei Jing Min Hao Yu Xin Lei Jun Yan Hui Ming Tao Fang Ling Qiang Zhi Chen Yi Jie Lin "
    "Bo Kai Rui Xiao Han Ting Peng Long Feng Yang"
).split()
GIVEN = list(
    dict.fromkeys(
        _SYLLABLES
        + (
            "Anna John Maria David Sarah Ali Priya Hiroshi Lukas Emma Omar Elena Marco Sofia Daniel "
            "Laura Ahmed Fatima Kenji Yuki Aarav Ananya Pierre Camille Jonas Lea Mateo Lucia Noah Olivia"
        ).split()
        + [a + b.lower() for a in _SYLLABLES for b in _SYLLABLES if a != b]
    )
)
SURNAMES = list(
    dict.fromkeys(
        (
            "Zhang Wang Li Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo "
            "Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Cai Jiang "
            "Yu Du Ye Cheng Wei Su Lu Ding Ren Shen Yao Lu Smith Johnson Brown Garcia Miller Davis "
            "Wilson Taylor Anderson Thomas Moore Martin Lee Clark Lewis Walker Hall Young King Wright "
            "Kim Park Choi Jung Kang Singh Kumar Sharma Patel Gupta Müller Schmidt Schneider Fischer "
            "Weber Rossi Russo Bianchi Dubois Laurent Silva Santos Tanaka Suzuki Sato Ivanov Novak "
            "Nguyen Tran Cohen Levi Hassan Ali"
        ).split()
    )
)

# Institutions, most prolific first (papers pick them with a Zipf distribution), each with the other
# spellings digests use for it. Curators merged those into the first: they exist as alias rows.
FAMOUS_INSTITUTIONS = [
    ("Tsinghua University", ["Tsinghua Univ.", "清华大学"]),
    ("Peking University", ["北京大学"]),
    ("MIT", ["Massachusetts Institute of Technology"]),
    ("Stanford University", ["Stanford"]),
    ("CMU", ["Carnegie Mellon University"]),
    ("UC Berkeley", ["University of California, Berkeley"]),
    ("Google Research", []),
    ("Microsoft Research", ["MSR"]),
    ("Meta AI", ["Facebook AI Research"]),
    ("DeepMind", ["Google DeepMind"]),
    ("Shanghai Jiao Tong University", ["SJTU", "上海交通大学"]),
    ("Zhejiang University", ["浙江大学"]),
    ("University of Oxford", []),
    ("ETH Zurich", ["ETH Zürich"]),
    ("University of Toronto", []),
    ("Mila", ["Mila - Quebec AI Institute"]),
]
_PLACES = [
    a + b
    for a in ("North", "South", "East", "West", "New", "Lake", "Port", "Mount", "Fair", "Green")
    for b in ("field", "brook", "haven", "ford", "ton", "bridge", "wick", "dale", "mouth", "worth")
]
INSTITUTIONS = FAMOUS_INSTITUTIONS + [
    (pattern.format(place), [f"Univ. of {place}"] if pattern.startswith("University") and i % 8 == 0 else [])
    for pattern in ("University of {}", "{} Institute of Technology", "{} University")
    for i, place in enumerate(_PLACES)
]  # 316 institutions and 28 alias spellings

AREAS = ["LG", "CV", "CL", "AS", "RO"]
LEGEND = {"LG": "机器学习", "CV": "计算机视觉", "CL": "计算与语言", "AS": "音频与语音", "RO": "机器人"}
SOURCE = "爱可可爱生活"
