#!/usr/bin/python3
"""The MUSE encoder-decoder written in plain PyTorch, as the reference Python code runs it.

Written by this project from ../shared/design/muse-reference.md (module names, shapes and
numerics), not copied. It serves two purposes:
  * the baseline of bench/bench_forward: the official code's forward pass on the same
    LibTorch, timed in the same conditions as our C++ engine;
  * a cross-check of the parity fixture (`--check`), so the spec and the fixture agree.
No BatchNorm folding, no fused kernels: eager modules exactly like the reference.
"""
import argparse, json, math, os, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
VIT = {'vit_small': (384, 6), 'vit_base': (768, 12)}


# ---------------------------------------------------------------- ViT encoder (DINO layout)
class PatchEmbed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, 16, 16)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def regrid_pos_embed(pos, grid):
    """Bicubic re-grid with scale (grid + 0.1) / g, as the reference does (also when g == grid)."""
    n = pos.shape[1] - 1
    g = int(math.sqrt(n))
    dim = pos.shape[2]
    patch = pos[:, 1:].reshape(1, g, g, dim).permute(0, 3, 1, 2)
    s = (grid + 0.1) / g
    patch = F.interpolate(patch, scale_factor=(s, s), mode='bicubic')
    patch = patch.permute(0, 2, 3, 1).reshape(1, -1, dim)
    return torch.cat((pos[:, :1], patch), dim=1)


class VisionTransformer(nn.Module):
    def __init__(self, dim, heads, img_size):
        super().__init__()
        g = img_size // 16
        self.patch_embed = PatchEmbed(dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, g * g + 1, dim))
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(12)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        b, _, h, w = x.shape
        t = self.patch_embed(x)
        t = torch.cat((self.cls_token.expand(b, -1, -1), t), dim=1)
        pos = self.pos_embed
        if t.shape[1] != pos.shape[1]:
            pos = regrid_pos_embed(pos, w // 16)
        t = t + pos
        outs = []
        for i, blk in enumerate(self.blocks):
            t = blk(t)
            if i in (2, 5, 8, 11):
                outs.append(self.norm(t))
        return outs


class ViTBackbone(nn.Module):
    def __init__(self, dim, heads, img_size):
        super().__init__()
        self.encoder = VisionTransformer(dim, heads, img_size)

    def forward(self, x):
        g = x.shape[-1] // 16
        outs = self.encoder(x)
        maps = [o[:, 1:].transpose(1, 2).reshape(o.shape[0], -1, g, g) for o in outs]
        return maps, outs[-1][:, :1].transpose(1, 2)[..., None]


# ---------------------------------------------------------------- ResNet-50 v1.5 encoder
class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.downsample = None
        if stride != 1 or cin != 4 * width:
            self.downsample = nn.Sequential(nn.Conv2d(cin, 4 * width, 1, stride, bias=False),
                                            nn.BatchNorm2d(4 * width))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet50(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for li, (width, blocks, stride) in enumerate(((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))):
            layer = []
            for bi in range(blocks):
                layer.append(Bottleneck(cin, width, stride if bi == 0 else 1))
                cin = 4 * width
            setattr(self, f'layer{li + 1}', nn.Sequential(*layer))

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x1 = self.layer1(x)
        x2 = self.layer2(x1)
        x3 = self.layer3(x2)
        return x1, x2, x3, self.layer4(x3)


class ConvBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = ResNet50()

    def forward(self, x):
        return self.encoder(x)


# ---------------------------------------------------------------- decoder
def up(x, size):
    return F.interpolate(x, size=size, mode='bilinear', align_corners=True)


class ConvLayer(nn.Module):
    def __init__(self, cin, cout, k, act=True):
        super().__init__()
        mods = [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout)]
        if act:
            mods.append(nn.ReLU(inplace=True))
        self.layer = nn.Sequential(*mods)

    def forward(self, x):
        return self.layer(x)


class BasicResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = ConvLayer(c, c, 3)
        self.conv2 = ConvLayer(c, c, 3, act=False)

    def forward(self, x):
        return F.relu(self.conv2(self.conv1(x)) + x)


class UnetBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.first_block = ConvLayer(cin, cout, 3)
        self.last_block = BasicResBlock(cout)

    def forward(self, x, skip):
        x = torch.cat((up(x, skip.shape[-2:]), skip), dim=1)
        return self.last_block(self.first_block(x))


class HyperFeats(nn.Module):
    def __init__(self, cins, cout):
        super().__init__()
        self.conv_list = nn.ModuleList([ConvLayer(c, cout, 1, act=False) for c in cins])

    def forward(self, xs):
        size = xs[0].shape[-2:]
        return torch.cat([up(conv(x), size) if i else conv(x)
                          for i, (conv, x) in enumerate(zip(self.conv_list, xs))], dim=1)


class ViTDecoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        t = [c // 4, c // 2, c, 2 * c]
        self.dim_map_layers = nn.ModuleList([nn.Conv2d(c, ti, 1, bias=False) for ti in t])
        self.decoder3 = UnetBlock(2 * c + c, c)
        self.decoder2 = UnetBlock(c + c // 2, c // 2)
        self.decoder1 = UnetBlock(c // 2 + c // 4, c // 4)
        self.hyper_feats = HyperFeats([c // 4, c // 2, c, 2 * c], c // 4)

    def forward(self, maps):
        e = [conv(m) for conv, m in zip(self.dim_map_layers, maps)]
        g = maps[0].shape[-1]
        e1, e2, e3, e4 = up(e[0], (4 * g, 4 * g)), up(e[1], (2 * g, 2 * g)), e[2], up(e[3], (g // 2, g // 2))
        d3 = self.decoder3(e4, e3)
        d2 = self.decoder2(d3, e2)
        d1 = self.decoder1(d2, e1)
        return self.hyper_feats([d1, d2, d3, e4])


class CattedDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder3 = UnetBlock(3072, 1024)
        self.decoder2 = UnetBlock(1536, 512)
        self.decoder1 = UnetBlock(768, 256)
        self.hyper_feats = HyperFeats([256, 512, 1024, 2048], 256)

    def forward(self, feats):
        e2, e3, e4, e5 = feats
        d4 = self.decoder3(e5, e4)
        d3 = self.decoder2(d4, e3)
        d2 = self.decoder1(d3, e2)
        return self.hyper_feats([d2, d3, d4, e5])


class Muse(nn.Module):
    def __init__(self, arch, img_size):
        super().__init__()
        if arch == 'r50':
            self.encoder, self.decoder = ConvBackbone(), CattedDecoder()
        else:
            dim, heads = VIT[arch]
            self.encoder, self.decoder = ViTBackbone(dim, heads, img_size), ViTDecoder(dim)
        self.arch = arch

    def forward(self, x):
        if self.arch == 'r50':
            return self.decoder(self.encoder(x))
        maps, _ = self.encoder(x)
        return self.decoder(maps)


def load_checkpoint(model, path, img_size):
    teacher = torch.load(path, map_location='cpu')['teacher']
    sd = {k[len('module.backbone.'):]: v for k, v in teacher.items() if k.startswith('module.backbone.')}
    if 'encoder.encoder.pos_embed' in sd:
        sd['encoder.encoder.pos_embed'] = regrid_pos_embed(sd['encoder.encoder.pos_embed'], img_size // 16)
    model.load_state_dict(sd, strict=True)
    return model.eval()


def to_input(rgb):
    x = torch.from_numpy(rgb).permute(2, 0, 1).float().div(255)
    x = (x - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]
    return x[None]


def point_features(dense, points, side):
    g = points / side * 2 - 1
    return F.grid_sample(dense, g[None, None], mode='bilinear', align_corners=True)[0, :, 0].t()


def check(fixture):
    import numpy as np
    from PIL import Image
    import tempfile
    cases = json.load(open(os.path.join(fixture, 'cases.json')))
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            ckpt = os.path.join(tmp, f"{case['arch']}_{case['seed']}_{case['grid']}.pth")
            if not os.path.exists(ckpt):
                os.system(f"/usr/bin/python3 {fixture}/make_checkpoint.py {case['arch']} {case['seed']} {ckpt} --grid {case['grid'] or 14}")
            model = load_checkpoint(Muse(case['arch'], case['img_size']), ckpt, case['img_size'])
            rgb = np.array(Image.open(os.path.join(fixture, case['image'])).convert('RGB'))
            pts = torch.from_numpy(np.loadtxt(os.path.join(fixture, case['points']), delimiter=',', skiprows=1, dtype=np.float32))
            with torch.no_grad():
                f = point_features(model(to_input(rgb)), pts, rgb.shape[1]).numpy()
            exp = np.load(os.path.join(fixture, 'expected', case['name'] + '.npy'))
            d = np.abs(f - exp)
            print(f"{case['name']:24s} max {d.max():.2e} mean {d.mean():.2e}")
            worst = max(worst, d.max())
    return worst


def bench(arch, side, batch, img_size, iters):
    model = Muse(arch, img_size).eval()
    x = torch.randn(batch, 3, side, side)
    best = float('inf')
    with torch.no_grad():
        model(x)
        for _ in range(iters):
            t0 = time.perf_counter()
            model(x)
            best = min(best, time.perf_counter() - t0)
    return 1000.0 * best / batch


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--check', metavar='FIXTURE_DIR', help='compare with the parity fixture')
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--iters', type=int, default=3)
    p.add_argument('--only', help='comma-separated arch list (vit_small,vit_base,r50)')
    p.add_argument('--sides', default='224,512', help='comma-separated tile sides')
    p.add_argument('--batches', default='1,4', help='comma-separated batch sizes')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.check:
        sys.exit(0 if check(a.check) <= 1e-3 else 1)
    archs = a.only.split(',') if a.only else ['vit_small', 'vit_base', 'r50']
    print(f"reference forward (PyTorch {torch.__version__}, {a.threads} threads), ms per tile")
    for arch in archs:
        for side in [int(s) for s in a.sides.split(',')]:
            for batch in [int(b) for b in a.batches.split(',')]:
                ms = bench(arch, side, batch, side, a.iters)
                print(json.dumps({'arch': arch, 'side': side, 'batch': batch, 'ms_per_tile': round(ms, 2)}))


if __name__ == '__main__':
    main()
