#!/usr/bin/python3
"""Trains the studio's demo family: a tiny Qwen2 (the project's synthetic byte-level tokenizer) on a
synthetic multi-step arithmetic task written as GSM8K items, and writes it to public/demo/.

    /usr/bin/python3 scripts/train-demo.py [--out public/demo] [--threads 2]

    base   ── language modelling on GSM8K-format word problems with worked answers
     ├─ target: instruction tuning (chat-template turns: reversing words, one-step sums, repeating)
     └─ sft:    supervised fine-tuning on prompt → answer (loss on the answer only)
          └─ grpo: GRPO from sft — groups of sampled answers, reward 1 for the right "#### N",
                   group-normalised advantages, clipped policy gradient, KL to sft

Offline, fixed seeds, CPU only (Debian's python3-torch and numpy; install libopenblas0-pthread too:
with Debian's generic reference BLAS, torch's matrix products are about 20 times slower). Tokenization and the side files
(config.json, tokenizer files, generation_config.json) come from the project itself through
scripts/demo-tokenizer.ts, so training and the studio tokenize identically. The forward pass below is
the one src/core/model/reference.ts writes down (RMSNorm, q/k/v biases, rotate-half RoPE, GQA, SiLU
MLP, tied head); the script checks it against `npx rvs logits` on every exported model.

Output: public/demo/{sft,grpo,target}/ (model.safetensors with Hugging Face Qwen2 names, config.json,
tokenizer files, train-settings.json) and public/demo/gsm8k-test.jsonl, the held-out items.
"""
import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # torch's own threads do the parallel work
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SETTINGS = {
    'seed': 1234,
    'shape': {
        'vocabSize': 320, 'hiddenSize': 64, 'intermediateSize': 128, 'numLayers': 2, 'numHeads': 4,
        'numKvHeads': 2, 'tiedEmbeddings': True, 'ropeTheta': 10000, 'rmsNormEps': 1e-6,
        'maxPositionEmbeddings': 128,
    },
    'dtype': 'F32',
    'task': {'train_items': 12000, 'test_items': 400, 'steps': [2], 'start': [10, 60], 'operand': [2, 40], 'max_value': 99},
    'base': {'steps': 1500, 'batch': 32, 'lr': 3e-3, 'warmup': 100},
    'sft': {'steps': 300, 'batch': 32, 'lr': 1e-3},
    'target': {'steps': 100, 'batch': 32, 'lr': 3e-4},
    'grpo': {'steps': 80, 'prompts': 8, 'group': 8, 'max_new_tokens': 32, 'temperature': 1.0,
             'lr': 3e-5, 'clip': 0.2, 'kl': 0.02, 'inner_epochs': 2},
    'eval_items': 100,
}

# ───────────────────────────── the task ─────────────────────────────

NAMES = [('Ann', 'She'), ('Ben', 'He'), ('Cal', 'He'), ('Dee', 'She'), ('Eve', 'She'), ('Max', 'He'),
         ('Sam', 'He'), ('Tom', 'He'), ('Zoe', 'She'), ('Kim', 'She')]
ITEMS = ['eggs', 'pens', 'cups', 'cards', 'books', 'coins', 'shells', 'apples']
ADD = ['gets {} more', 'finds {} more', 'buys {} more']
SUB = ['gives away {}', 'loses {}', 'uses {}']


def make_item(rng, cfg):
    """One GSM8K-format item: a word problem of 2-3 steps and a worked answer ending "#### N"."""
    name, pron = rng.choice(NAMES)
    item = rng.choice(ITEMS)
    value = rng.randint(*cfg['start'])
    sentences = [f'{name} has {value} {item}.']
    steps = []
    for _ in range(rng.choice(cfg['steps'])):
        n = rng.randint(*cfg['operand'])
        if value - n >= 0 and (rng.random() < 0.5 or value + n > cfg['max_value']):
            sentences.append(f'{pron} {rng.choice(SUB).format(n)}.')
            steps.append(f'{value}-{n}={value - n}.')
            value -= n
        else:
            sentences.append(f'{pron} {rng.choice(ADD).format(n)}.')
            steps.append(f'{value}+{n}={value + n}.')
            value += n
    question = ' '.join(sentences) + f' How many {item} now?'
    return {'question': question, 'answer': ' '.join(steps) + f'\n#### {value}'}


def make_instruction(rng):
    """One instruction-tuning pair for the target (no multi-step arithmetic)."""
    kind = rng.randrange(3)
    if kind == 0:
        word = rng.choice(ITEMS + [n for n, _ in NAMES])
        return f'Reverse the word {word}.', word[::-1]
    if kind == 1:
        a, b = rng.randint(1, 30), rng.randint(1, 30)
        return f'What is {a} plus {b}?', f'{a + b}'
    name, _ = rng.choice(NAMES)
    text = f'{name} likes {rng.choice(ITEMS)}.'
    return f'Repeat: {text}', text


def prompt_of(question):
    """lm-evaluation-harness's gsm8k `doc_to_text`, zero-shot."""
    return f'Question: {question}\nAnswer:'


def chat_of(user, system='You are a helpful assistant.'):
    """The synthetic tokenizer's chat template (src/core/text/synthetic-tokenizer.ts) with a generation prompt."""
    return f'<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n'


def gold_of(answer):
    return answer.split('#### ')[-1].strip()


STRICT = re.compile(r'#### (\-?[0-9\.\,]+)')


def extracted(text):
    """The harness's gsm8k strict-match filter (first match), without the metric's normalisation."""
    m = STRICT.search(text)
    return m.group(1).replace(',', '').rstrip('.') if m else None


# ───────────────────────────── the project's side of tokenization ─────────────────────────────

def project(mode, payload):
    out = subprocess.run(['npx', 'tsx', 'scripts/demo-tokenizer.ts', mode], input=json.dumps(payload).encode(),
                         cwd=ROOT, capture_output=True, check=True)
    return json.loads(out.stdout)


class Vocab:
    """Decoding only (ids → text), from tokenizer.json: byte-level characters back to bytes."""

    def __init__(self, tokenizer_json):
        tok = json.loads(tokenizer_json)
        printable = [b for b in range(256) if 0x21 <= b <= 0x7e or 0xa1 <= b <= 0xac or 0xae <= b <= 0xff]
        char_to_byte = {chr(b): b for b in printable}
        n = 0
        for b in range(256):
            if b not in char_to_byte.values():
                char_to_byte[chr(256 + n)] = b
                n += 1
        self.bytes = {}
        for token, i in tok['model']['vocab'].items():
            self.bytes[i] = bytes(char_to_byte[c] for c in token)
        for t in tok['added_tokens']:
            self.bytes[t['id']] = t['content'].encode()
        self.special = {t['content']: t['id'] for t in tok['added_tokens']}

    def decode(self, ids):
        return b''.join(self.bytes.get(i, b'') for i in ids).decode('utf-8', errors='replace')


# ───────────────────────────── the model (src/core/model/reference.ts in torch) ─────────────────────────────

def tensor_shapes(s):
    h, i = s['hiddenSize'], s['intermediateSize']
    kv = h // s['numHeads'] * s['numKvHeads']
    out = {'model.embed_tokens.weight': (s['vocabSize'], h)}
    for layer in range(s['numLayers']):
        p = f'model.layers.{layer}'
        out.update({
            f'{p}.input_layernorm.weight': (h,),
            f'{p}.self_attn.q_proj.weight': (h, h), f'{p}.self_attn.q_proj.bias': (h,),
            f'{p}.self_attn.k_proj.weight': (kv, h), f'{p}.self_attn.k_proj.bias': (kv,),
            f'{p}.self_attn.v_proj.weight': (kv, h), f'{p}.self_attn.v_proj.bias': (kv,),
            f'{p}.self_attn.o_proj.weight': (h, h),
            f'{p}.post_attention_layernorm.weight': (h,),
            f'{p}.mlp.gate_proj.weight': (i, h), f'{p}.mlp.up_proj.weight': (i, h), f'{p}.mlp.down_proj.weight': (h, i),
        })
    out['model.norm.weight'] = (h,)
    if not s['tiedEmbeddings']:
        out['lm_head.weight'] = (s['vocabSize'], h)
    return out


def init_weights(s, gen):
    w = {}
    for name, shape in tensor_shapes(s).items():
        if 'norm' in name:
            w[name] = torch.ones(shape)
        elif name.endswith('.bias'):
            w[name] = torch.zeros(shape)
        else:
            std = 0.02 if 'embed' in name else 1 / math.sqrt(shape[1])
            if name.endswith(('o_proj.weight', 'down_proj.weight')):
                std /= math.sqrt(2 * s['numLayers'])
            w[name] = torch.randn(shape, generator=gen) * std
    return {k: v.requires_grad_() for k, v in w.items()}


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rope(x, positions, theta):
    """HF rotate_half: dims (t, t + d/2) rotate together; x [batch, heads, seq, d], positions [batch, seq]."""
    d = x.shape[-1]
    inv = theta ** (-torch.arange(0, d, 2, dtype=torch.float32) / d)
    angle = positions[:, None, :, None].float() * inv
    cos, sin = torch.cos(angle), torch.sin(angle)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


def forward(w, s, ids, mask=None, past=None):
    """Logits [batch, seq, vocab] and the keys/values to pass as `past` for the next tokens.
    `mask` [batch, seq] marks real tokens (left padding allowed): positions count real tokens from
    0, and padding is never attended to. `past` = (per-layer (k, v), the mask of the past tokens)."""
    b, n = ids.shape
    if mask is None:
        mask = torch.ones(b, n, dtype=torch.bool)
    past_kv, past_mask = past if past is not None else ([None] * s['numLayers'], torch.zeros(b, 0, dtype=torch.bool))
    p_len = past_mask.shape[1]
    positions = (past_mask.long().sum(1, keepdim=True) + mask.long().cumsum(-1) - 1).clamp(min=0)
    keys_mask = torch.cat([past_mask, mask], 1)
    causal = torch.ones(n, p_len + n, dtype=torch.bool).tril(p_len)
    bias = torch.zeros(b, 1, n, p_len + n).masked_fill(~(causal[None] & keys_mask[:, None, :])[:, None], -1e9)
    h, heads, kvh = s['hiddenSize'], s['numHeads'], s['numKvHeads']
    d = h // heads
    x = w['model.embed_tokens.weight'][ids]
    present = []
    for layer in range(s['numLayers']):
        p = f'model.layers.{layer}'
        y = rms_norm(x, w[f'{p}.input_layernorm.weight'], s['rmsNormEps'])
        q = F.linear(y, w[f'{p}.self_attn.q_proj.weight'], w[f'{p}.self_attn.q_proj.bias']).view(b, n, heads, d).transpose(1, 2)
        k = F.linear(y, w[f'{p}.self_attn.k_proj.weight'], w[f'{p}.self_attn.k_proj.bias']).view(b, n, kvh, d).transpose(1, 2)
        v = F.linear(y, w[f'{p}.self_attn.v_proj.weight'], w[f'{p}.self_attn.v_proj.bias']).view(b, n, kvh, d).transpose(1, 2)
        q, k = rope(q, positions, s['ropeTheta']), rope(k, positions, s['ropeTheta'])
        if past_kv[layer] is not None:
            k, v = torch.cat([past_kv[layer][0], k], 2), torch.cat([past_kv[layer][1], v], 2)
        present.append((k, v))
        k, v = k.repeat_interleave(heads // kvh, 1), v.repeat_interleave(heads // kvh, 1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, -1)
        x = x + F.linear((att @ v).transpose(1, 2).reshape(b, n, h), w[f'{p}.self_attn.o_proj.weight'])
        y = rms_norm(x, w[f'{p}.post_attention_layernorm.weight'], s['rmsNormEps'])
        x = x + F.linear(F.silu(F.linear(y, w[f'{p}.mlp.gate_proj.weight'])) * F.linear(y, w[f'{p}.mlp.up_proj.weight']),
                         w[f'{p}.mlp.down_proj.weight'])
    head = w['model.embed_tokens.weight'] if s['tiedEmbeddings'] else w['lm_head.weight']
    return F.linear(rms_norm(x, w['model.norm.weight'], s['rmsNormEps']), head), (present, keys_mask)


def clone(w):
    return {k: v.detach().clone().requires_grad_() for k, v in w.items()}


# ───────────────────────────── training ─────────────────────────────

def batches(examples, batch, rng):
    """Endless shuffled batches of (ids, loss mask) pairs, right-padded."""
    order = list(range(len(examples)))
    while True:
        rng.shuffle(order)
        for i in range(0, len(order) - batch + 1, batch):
            chunk = [examples[j] for j in order[i:i + batch]]
            n = max(len(ids) for ids, _ in chunk)
            ids = torch.zeros(batch, n, dtype=torch.long)
            loss = torch.zeros(batch, n, dtype=torch.bool)
            for r, (t, m) in enumerate(chunk):
                ids[r, :len(t)] = torch.tensor(t)
                loss[r, :len(m)] = torch.tensor(m)
            yield ids, loss


def supervised(w, s, examples, cfg, rng, label):
    """Next-token cross-entropy on the marked tokens; AdamW, linear warm-up, cosine decay."""
    opt = torch.optim.AdamW(w.values(), lr=cfg['lr'], weight_decay=0.0, betas=(0.9, 0.98))
    warm = cfg.get('warmup', 0)
    it = batches(examples, cfg['batch'], rng)
    t0 = time.time()
    for step in range(cfg['steps']):
        frac = step / cfg['steps']
        lr = cfg['lr'] * min(1.0, (step + 1) / warm if warm else 1.0) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g['lr'] = lr
        ids, loss_mask = next(it)
        logits, _ = forward(w, s, ids[:, :-1])
        target = ids[:, 1:].masked_fill(~loss_mask[:, 1:], -100)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(w.values(), 1.0)
        opt.step()
        if step % 100 == 0 or step == cfg['steps'] - 1:
            print(f'  {label} step {step:4d}  loss {loss.item():.3f}  ({time.time() - t0:.0f} s)', flush=True)


@torch.no_grad()
def sample(w, s, prompts, max_new, eos, temperature, gen):
    """Completions of left-padded prompts (temperature 0: greedy). Returns (ids, mask, completion mask)."""
    b = len(prompts)
    n = max(len(p) for p in prompts)
    ids = torch.zeros(b, n, dtype=torch.long)
    mask = torch.zeros(b, n, dtype=torch.bool)
    for r, p in enumerate(prompts):
        ids[r, n - len(p):] = torch.tensor(p)
        mask[r, n - len(p):] = True
    done = torch.zeros(b, dtype=torch.bool)
    new = torch.zeros(b, 0, dtype=torch.bool)
    logits, past = forward(w, s, ids, mask)
    for _ in range(max_new):
        logits = logits[:, -1]
        if temperature == 0:
            nxt = logits.argmax(-1)
        else:
            nxt = torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=gen)[:, 0]
        live = ~done
        ids = torch.cat([ids, torch.where(live, nxt, torch.zeros_like(nxt))[:, None]], 1)
        mask = torch.cat([mask, live[:, None]], 1)
        new = torch.cat([new, live[:, None]], 1)
        done = done | torch.isin(nxt, torch.tensor(eos))
        if done.all():
            break
        logits, past = forward(w, s, ids[:, -1:], mask[:, -1:], past)
    return ids, mask, new


def completions(vocab, ids, new):
    return [vocab.decode(row[m].tolist()) for row, m in zip(ids[:, -new.shape[1]:], new)]


def accuracy(w, s, items, prompt_ids, vocab, eos, max_new, batch=100):
    right = 0
    for i in range(0, len(items), batch):
        ids, _, new = sample(w, s, prompt_ids[i:i + batch], max_new, eos, 0, None)
        for item, text in zip(items[i:i + batch], completions(vocab, ids, new)):
            right += extracted(text) == gold_of(item['answer'])
    return right / len(items)


def token_logprobs(w, s, ids, mask):
    logits, _ = forward(w, s, ids[:, :-1], mask[:, :-1])
    return torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None])[..., 0]


def grpo(policy, ref, s, items, prompt_ids, vocab, eos, cfg, rng, gen):
    """GRPO (Shao et al. 2024): per prompt a group of sampled answers; reward 1 when the extracted
    "#### N" is right; advantage = (r − mean) / (std + ε) within the group; the clipped surrogate
    over the answer tokens, plus β·KL(π‖π_ref) with the k3 estimator; `inner_epochs` updates per
    sample, so the ratio and the clip matter after the first."""
    opt = torch.optim.AdamW(policy.values(), lr=cfg['lr'], weight_decay=0.0, betas=(0.9, 0.98))
    t0 = time.time()
    history = []
    for step in range(cfg['steps']):
        picks = rng.sample(range(len(items)), cfg['prompts'])
        prompts = [prompt_ids[i] for i in picks for _ in range(cfg['group'])]
        ids, mask, new = sample(policy, s, prompts, cfg['max_new_tokens'], eos, cfg['temperature'], gen)
        texts = completions(vocab, ids, new)
        golds = [gold_of(items[i]['answer']) for i in picks for _ in range(cfg['group'])]
        reward = torch.tensor([float(extracted(t) == g) for t, g in zip(texts, golds)]).view(cfg['prompts'], cfg['group'])
        adv = ((reward - reward.mean(1, keepdim=True)) / (reward.std(1, keepdim=True) + 1e-4)).view(-1)
        history.append(reward.mean().item())
        answer = torch.zeros_like(mask)
        answer[:, -new.shape[1]:] = new
        answer = answer[:, 1:]
        with torch.no_grad():
            old = token_logprobs(policy, s, ids, mask)
            ref_lp = token_logprobs(ref, s, ids, mask)
        for _ in range(cfg['inner_epochs'] if adv.abs().sum() > 0 else 0):
            lp = token_logprobs(policy, s, ids, mask)
            ratio = torch.exp(lp - old)
            surrogate = torch.min(ratio * adv[:, None], ratio.clamp(1 - cfg['clip'], 1 + cfg['clip']) * adv[:, None])
            kl = torch.exp(ref_lp - lp) - (ref_lp - lp) - 1
            per_token = -(surrogate - cfg['kl'] * kl)
            loss = ((per_token * answer).sum(1) / answer.sum(1).clamp(min=1)).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.values(), 1.0)
            opt.step()
        if step % 10 == 0 or step == cfg['steps'] - 1:
            recent = sum(history[-10:]) / len(history[-10:])
            print(f'  grpo step {step:4d}  mean reward (last 10) {recent:.3f}  ({time.time() - t0:.0f} s)', flush=True)
    return history


# ───────────────────────────── export ─────────────────────────────

def bf16_round(x):
    """float32 → bfloat16 → float32, round to nearest even (as src/core/dtype.ts encodes)."""
    bits = x.detach().numpy().astype(np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return torch.from_numpy(bits.astype(np.uint32).view(np.float32).copy())


def stored(w, dtype):
    """The weights as the exported file holds them, as float32."""
    return {k: (bf16_round(v) if dtype == 'BF16' else v.detach().clone()) for k, v in w.items()}


def write_safetensors(path, w, s, dtype):
    header, blobs, offset = {}, [], 0
    for name in tensor_shapes(s):
        v = stored(w, dtype)[name] if dtype == 'BF16' else w[name].detach()
        data = v.numpy().astype(np.float32)
        raw = (data.view(np.uint32) >> 16).astype(np.uint16).tobytes() if dtype == 'BF16' else data.astype('<f4').tobytes()
        header[name] = {'dtype': dtype, 'shape': list(v.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(len(text).to_bytes(8, 'little'))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def write_member(folder, w, s, dtype, side_files, settings):
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, 'model.safetensors'), w, s, dtype)
    for name, text in side_files.items():
        with open(os.path.join(folder, name), 'w') as f:
            f.write(text)
    with open(os.path.join(folder, 'train-settings.json'), 'w') as f:
        f.write(json.dumps(settings, indent=2) + '\n')


def check_against_project(folder, w, s, dtype, ids):
    """Our torch forward on the stored weights against `npx rvs logits` (onnxruntime, float32)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'logits.safetensors')
        subprocess.run(['npx', 'rvs', 'logits', '--model', folder, '--ids', ','.join(map(str, ids)), '--out', out],
                       cwd=ROOT, check=True, capture_output=True)
        with open(out, 'rb') as f:
            n = int.from_bytes(f.read(8), 'little')
            header = json.loads(f.read(n))
            got = np.frombuffer(f.read(), dtype='<f4').reshape(header['logits']['shape'])
    want = forward(stored(w, dtype), s, torch.tensor([ids]))[0][0].detach().numpy()
    err = float(np.abs(got - want).max() / np.abs(want).max())
    if not err <= 1e-4:
        raise SystemExit(f'{folder}: torch and `rvs logits` differ (max relative error {err:.2e})')
    return err


# ───────────────────────────── main ─────────────────────────────

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(ROOT, 'public', 'demo'))
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--smoke', action='store_true', help='a few steps of each stage (checks the script, not the model)')
    args = ap.parse_args()
    if args.smoke:
        for stage in ('base', 'sft', 'target', 'grpo'):
            SETTINGS[stage]['steps'] = 3
        SETTINGS['task'].update(train_items=400, test_items=16)
        SETTINGS['eval_items'] = 16
    torch.set_num_threads(args.threads)
    cfg, s = SETTINGS, SETTINGS['shape']
    random.seed(cfg['seed'])
    torch.manual_seed(cfg['seed'])
    gen = torch.Generator().manual_seed(cfg['seed'])
    t0 = time.time()

    # Items: train and test drawn from separate seeded streams; a test question never appears in training.
    train_rng, test_rng = random.Random(cfg['seed']), random.Random(cfg['seed'] + 1)
    train = [make_item(train_rng, cfg['task']) for _ in range(cfg['task']['train_items'])]
    seen = {t['question'] for t in train}
    test = []
    while len(test) < cfg['task']['test_items']:
        item = make_item(test_rng, cfg['task'])
        if item['question'] not in seen:
            seen.add(item['question'])
            test.append(item)
    instr_rng = random.Random(cfg['seed'] + 2)
    instructions = [make_instruction(instr_rng) for _ in range(5000)]

    side = project('side-files', {**s, 'dtype': cfg['dtype']})['files']
    vocab = Vocab(side['tokenizer.json'])
    eos = [vocab.special['<|im_end|>'], vocab.special['<|endoftext|>']]
    eot = vocab.special['<|endoftext|>']
    texts = [prompt_of(t['question']) for t in train] + [' ' + t['answer'] for t in train]
    texts += [chat_of(u) for u, _ in instructions] + [a + '<|im_end|>' for _, a in instructions]
    texts += [prompt_of(t['question']) for t in test]
    encoded = project('encode', {'vocabSize': s['vocabSize'], 'texts': texts})
    n, m = len(train), len(instructions)
    train_prompts, train_answers = encoded[:n], encoded[n:2 * n]
    chat_prompts, chat_answers = encoded[2 * n:2 * n + m], encoded[2 * n + m:2 * n + 2 * m]
    test_prompts = encoded[2 * n + 2 * m:]
    print(f'{n} train items, {len(test)} held-out test items, {m} instructions; tokenized in {time.time() - t0:.0f} s', flush=True)

    # base: every token of the first half of the train items; sft: the answers of the second half.
    half = n // 2
    lm = [(p + a + [eot], [True] * (len(p) + len(a) + 1)) for p, a in zip(train_prompts[:half], train_answers[:half])]
    sft_data = [(p + a + [eot], [False] * len(p) + [True] * (len(a) + 1)) for p, a in zip(train_prompts[half:], train_answers[half:])]
    chat_data = [(p + a, [False] * len(p) + [True] * len(a)) for p, a in zip(chat_prompts, chat_answers)]

    rng = random.Random(cfg['seed'] + 3)
    base = init_weights(s, gen)
    supervised(base, s, lm, cfg['base'], rng, 'base')
    target = clone(base)
    supervised(target, s, chat_data, cfg['target'], rng, 'target')
    sft = clone(base)
    supervised(sft, s, sft_data, cfg['sft'], rng, 'sft')
    policy = clone(sft)
    ref = {k: v.detach() for k, v in sft.items()}
    history = grpo(policy, ref, s, train[half:], train_prompts[half:], vocab, eos, cfg['grpo'], rng, gen)

    # Held-out accuracy (greedy, strict "#### N"), the merged target included, on the weights as stored.
    n_eval = cfg['eval_items']
    st = {k: stored(v, cfg['dtype']) for k, v in (('sft', sft), ('grpo', policy), ('target', target))}
    st['target+v'] = {k: st['target'][k] + (st['grpo'][k] - st['sft'][k]) for k in st['target']}
    evaluation = {name: accuracy(ws, s, test[:n_eval], test_prompts[:n_eval], vocab, eos, cfg['grpo']['max_new_tokens']) for name, ws in st.items()}
    print(f'  held-out accuracy (first {n_eval} test items): ' + ', '.join(f'{k} {v:.3f}' for k, v in evaluation.items()), flush=True)
    # What BF16 storage would do to v = GRPO − SFT: the relative error of v computed from BF16 weights.
    v32 = torch.cat([(policy[k] - sft[k]).detach().flatten() for k in sft])
    v16 = torch.cat([(bf16_round(policy[k]) - bf16_round(sft[k])).flatten() for k in sft])
    bf16_v_error = float((v16 - v32).norm() / v32.norm())
    print(f'  ‖v_bf16 − v_f32‖ / ‖v_f32‖ = {bf16_v_error:.3f}', flush=True)

    # Export: staged beside the output folder, renamed when complete.
    out = os.path.abspath(args.out)
    stage = out + '.tmp'
    shutil.rmtree(stage, ignore_errors=True)
    record = {
        'script': 'scripts/train-demo.py', 'torch': torch.__version__, 'threads': args.threads,
        'settings': cfg, 'grpo_mean_reward': history, 'held_out_accuracy_greedy_strict': evaluation, 'bf16_v_relative_error': bf16_v_error,
        'seconds': round(time.time() - t0),
    }
    probe = test_prompts[0] + train_answers[0][:8]
    for member, w in (('sft', sft), ('grpo', policy), ('target', target)):
        folder = os.path.join(stage, member)
        write_member(folder, w, s, cfg['dtype'], side, {**record, 'member': member})
        err = check_against_project(folder, w, s, cfg['dtype'], probe)
        print(f'  {member}: torch forward = rvs logits (max relative error {err:.1e})', flush=True)
    with open(os.path.join(stage, 'gsm8k-test.jsonl'), 'w') as f:
        for t in test:
            f.write(json.dumps(t) + '\n')
    shutil.rmtree(out, ignore_errors=True)
    os.rename(stage, out)
    print(f'wrote {out} in {time.time() - t0:.0f} s')


if __name__ == '__main__':
    sys.exit(main())
