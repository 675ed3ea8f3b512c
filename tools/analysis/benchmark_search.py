#!/usr/bin/env python
"""Speed of the search index (umgclip_mm.search): building it, and querying FAISS at scale.

--what build   Index build throughput on toy-world scenes (128 px, 1-4 boxes and 3-6 masks each, written by
               umgclip_mm.datasets.toy_world into a temporary folder) with the quickstart's toy UMG-CLIP (random
               weights: speed does not depend on them): images/s of the whole build (read, embed three levels, write
               shards) and of the FAISS step, for given and grid proposals. Then the numbers for the scale plan
               (docs/search.md): forward GFLOPs per image of the ViT-B/16 and ViT-L/14 towers at 224 px with the
               region and mask pooling of --regions boxes and --masks masks (torch's FlopCounterMode), this CPU's
               measured images/s for ViT-B/16 (achieved GFLOP/s), and the GPU images/s those FLOPs give at
               --gpu-tflops peak and --mfu utilisation (stated assumptions, not measurements).
--what faiss   Query latency of FAISS flat (exact inner product) and IVF-PQ (umgclip_mm.search.build_faiss_index's
               parameters: sqrt(N) lists, D/8 bytes a vector) at each of --sizes vectors of --dim dims: build time,
               milliseconds per query (one query at a time, median over --queries) and per query in a batch of
               --queries, and recall@10 against flat's exact top 10, for IVF-PQ's codes alone and with its
               candidates re-ranked by their float16 vectors (the index's default). The vectors are L2-normalised
               draws around --clusters random centres (embeddings cluster; uniform random vectors have no
               neighbours worth finding and make every approximate index look bad); the queries are further draws.

Examples (docs/search.md's figures):
    python tools/analysis/benchmark_search.py --what build --images 96
    python tools/analysis/benchmark_search.py --what faiss --sizes 10000 100000 1000000
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--what', nargs='+', default=['build', 'faiss'], choices=['build', 'faiss'])
    parser.add_argument('--images', type=int, default=96, help='toy scenes to index (build)')
    parser.add_argument('--regions', type=int, default=100, help='boxes per image in the FLOP count (build)')
    parser.add_argument('--masks', type=int, default=20, help='masks per image in the FLOP count (build)')
    parser.add_argument('--towers', nargs='*', default=['vitb16', 'vitl14'], choices=['vitb16', 'vitl14'],
                        help='towers whose FLOPs the scale plan counts (build; none: skip)')
    parser.add_argument('--cpu-images', type=int, default=8, help='ViT-B/16 images timed on this CPU (0: skip)')
    parser.add_argument('--gpu-tflops', type=float, default=989.0,
                        help='GPU dense bf16 peak for the estimate (H100 SXM: 989; A100: 312)')
    parser.add_argument('--mfu', type=float, default=0.4, help='assumed fraction of that peak achieved')
    parser.add_argument('--sizes', type=int, nargs='+', default=[10_000, 100_000, 1_000_000], help='faiss')
    parser.add_argument('--dim', type=int, default=512, help='faiss')
    parser.add_argument('--clusters', type=int, default=1000, help='faiss')
    parser.add_argument('--queries', type=int, default=50, help='faiss')
    parser.add_argument('--threads', type=int, default=1,
                        help='FAISS/torch threads (0: all cores). Times are CPU time of this process: with one '
                        'thread, the wall time of an idle core, whatever else the machine runs')
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------------------- build
def write_toy_collection(folder: str, num: int) -> str:
    """``num`` toy scenes as PNGs and a UMG JSON-lines file; returns the file."""
    from umgclip_mm.datasets import toy_world
    toy_world.generate(folder, num_train=0, num_val=num)
    return osp.join(folder, 'umg', 'val.jsonl')


def bench_build(args) -> None:
    import torch
    from mmengine.config import Config
    from torch.utils.flop_counter import FlopCounterMode

    from umgclip_mm.apis.inference import init_model
    from umgclip_mm.search import RegionEmbedder, SearchIndexBuilder, grid_proposals, read_collection
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    towers = Config.fromfile(osp.join(repo, 'configs/_base_/models/umgclip_towers.py'))
    embedder = RegionEmbedder(init_model(dict(model=towers.umgclip_toy)), batch_size=32)
    with tempfile.TemporaryDirectory() as tmp:
        items, root = read_collection(write_toy_collection(osp.join(tmp, 'data'), args.images))
        print(f'index build, toy UMG-CLIP ({embedder.img_size} px input, {embedder.embed_dims}-d), {len(items)} toy '
              f'scenes of 128 px, {torch.get_num_threads()} threads')
        print(f'{"proposals":<10}{"boxes/img":>10}{"masks/img":>10}{"shards img/s":>14}{"faiss s":>9}'
              f'{"total img/s":>13}')
        for proposals in ('given', 'grid'):
            builder = SearchIndexBuilder(embedder, osp.join(tmp, proposals), proposals, shard_size=32,
                                         progress=False)
            t0 = time.process_time()
            builder.build_shards(items, root)
            t1 = time.process_time()
            manifest = builder.finalize()
            t2 = time.process_time()
            c = manifest['counts']
            print(f'{proposals:<10}{c["regions"] / c["images"]:>10.1f}{c["masks"] / c["images"]:>10.1f}'
                  f'{c["images"] / (t1 - t0):>14.1f}{t2 - t1:>9.3f}{c["images"] / (t2 - t0):>13.1f}')
        print(f'(grid proposals: {len(grid_proposals(128, 128))} windows on a 128 px image, '
              f'{len(grid_proposals(480, 640))} on 640x480)')

    if not args.towers:
        return
    print(f'\nscale plan: forward FLOPs per 224 px image with {args.regions} boxes and {args.masks} masks pooled '
          f'(FlopCounterMode), and the GPU rate at {args.gpu_tflops:.0f} TFLOP/s x MFU {args.mfu} (assumed)')
    print(f'{"tower":<10}{"GFLOPs/img":>12}{"of which pooling":>18}{"GPU img/s (est.)":>18}')
    rates = {}
    for name in (f'umgclip_{t}' for t in args.towers):
        model = init_model(dict(model=towers[name]))
        emb = RegionEmbedder(model, batch_size=1)
        img = np.random.default_rng(0).integers(0, 255, (224, 224, 3), np.uint8)
        rng = np.random.default_rng(1)
        xy = rng.uniform(0, 150, (args.regions, 2))
        boxes = np.concatenate([xy, xy + rng.uniform(20, 70, (args.regions, 2))], 1).astype(np.float32)
        masks = (rng.random((args.masks, 224, 224)) < 0.2).astype(np.uint8)
        with FlopCounterMode(display=False) as full:
            emb.embed_images([img], [boxes], [masks])
        with FlopCounterMode(display=False) as tower:
            emb.embed_images([img], [np.zeros((0, 4), np.float32)], [np.zeros((0, 1, 1), np.uint8)])
        gflops = full.get_total_flops() / 1e9
        pool = gflops - tower.get_total_flops() / 1e9
        rates[name] = gflops
        print(f'{name[8:]:<10}{gflops:>12.2f}{pool:>18.3f}{args.gpu_tflops * 1e3 * args.mfu / gflops:>18.0f}')
        if name == 'umgclip_vitb16' and args.cpu_images:
            emb.batch_size = args.cpu_images
            batch = [img] * args.cpu_images
            emb.embed_images(batch[:2], [boxes] * 2, [masks] * 2)  # warm-up
            times = []
            for _ in range(2):
                t0 = time.process_time()
                emb.embed_images(batch, [boxes] * len(batch), [masks] * len(batch))
                times.append(time.process_time() - t0)
            per_s = len(batch) / min(times)
            print(f'{"":<10}this CPU ({torch.get_num_threads()} threads, fp32): {per_s:.1f} img/s = '
                  f'{per_s * gflops:.0f} GFLOP/s achieved')
        del model, emb


# ---------------------------------------------------------------------------------------------------- faiss
def clustered(n: int, dim: int, centres: np.ndarray, rng: np.random.Generator, spread: float = 0.6) -> np.ndarray:
    """``n`` unit vectors: a random centre each plus Gaussian noise of ``spread`` times the centre's norm."""
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        v = centres[rng.integers(len(centres), size=m)] + rng.standard_normal((m, dim), np.float32) * (
            spread / np.sqrt(dim))
        out[start:start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def bench_faiss(args) -> None:
    import faiss

    from umgclip_mm.search import build_faiss_index, ivfpq_params
    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((args.clusters, args.dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    queries = clustered(args.queries, args.dim, centres, rng)
    print(f'FAISS, {args.dim}-d unit vectors around {args.clusters} centres, {args.queries} queries, '
          f'{faiss.omp_get_max_threads()} thread(s), CPU time; ms/query: one at a time (median) | in a batch of '
          f'{args.queries}')
    print(f'{"vectors":>9}  {"index":<30}{"MB":>8}{"build s":>9}{"ms/query":>10}{"batched":>9}{"R@10 vs flat":>14}')
    for n in args.sizes:
        data = clustered(n, args.dim, centres, rng)
        exact = None
        for kind in ('flat', 'ivfpq'):
            t0 = time.process_time()
            try:
                index = build_faiss_index(data, kind)  # IVF-PQ with fp16 re-ranking; its base_index is PQ alone
            except ValueError as err:  # too few vectors to train IVF-PQ
                print(f'{n:>9}  {kind:<30}  ({err})')
                continue
            build = time.process_time() - t0
            nlist, m = ivfpq_params(n, args.dim)
            variants = [('flat (IndexFlatIP)', index, n * args.dim * 4)] if kind == 'flat' else [
                (f'IVF{nlist},PQ{m} nprobe {faiss.extract_index_ivf(index).nprobe}', index.base_index, n * (m + 8)),
                (f'  + re-rank fp16 x{index.k_factor:.0f}', index, n * (m + 8 + 2 * args.dim))]
            for name, searched, nbytes in variants:
                single = []
                for q in queries:
                    t0 = time.process_time()
                    searched.search(q[None], 10)
                    single.append(time.process_time() - t0)
                t0 = time.process_time()
                _, ids = searched.search(queries, 10)
                batched = time.process_time() - t0
                if exact is None:
                    exact = ids
                recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact)])
                print(f'{n:>9}  {name:<30}{nbytes / 2**20:>8.0f}{build:>9.2f}{1e3 * statistics.median(single):>10.3f}'
                      f'{1e3 * batched / len(queries):>9.3f}{recall:>14.3f}')
            del index
        del data


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch

    import umgclip_mm  # noqa: F401
    if args.threads:
        torch.set_num_threads(args.threads)
    if 'build' in args.what:
        bench_build(args)
    if 'faiss' in args.what:
        bench_faiss(args)


if __name__ == '__main__':
    main()
