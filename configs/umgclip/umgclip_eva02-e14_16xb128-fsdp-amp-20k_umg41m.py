# UMG-CLIP-E/14 sharded: the E/14 config, trained by FSDP instead of DDP so that it fits 80 GB GPUs. Under DDP every
# GPU holds the 4.7B parameters, their gradients and AdamW's state (about 88 GiB with DDP's buckets, before
# activations); FULL_SHARD splits all three over the GPUs (16: 4.4 GiB each) and gathers one transformer block at a
# time. Per-GPU memory of both (tools/analysis/memory_plan.py; figures in docs/distributed.md):
#   python tools/analysis/memory_plan.py configs/umgclip/umgclip_eva02-e14_16xb128-fsdp-amp-20k_umg41m.py --gpus 16
#   bash tools/dist_train.sh configs/umgclip/umgclip_eva02-e14_16xb128-fsdp-amp-20k_umg41m.py 8  # on each of 2 nodes
# The losses, gradient norms and weights equal the DDP run's (tests/test_tools/test_sharded_training.py, on CPU).
# Checkpoints are sharded: work_dirs/<this config>/iter_<N>/ is a directory in torch.distributed.checkpoint's format
# that every GPU writes its shard of (nothing gathered; 'full' would hold 56 GB on rank 0's host per save, and every
# process would read it whole to resume). --resume finds the latest whole one, at any world size. For task configs:
#   python tools/model_converters/consolidate_checkpoint.py work_dirs/<this config>/iter_20000 umgclip_eva02-e14.pth
_base_ = './umgclip_eva02-e14_16xb128-amp-20k_umg41m.py'

runner_type = 'FlexibleRunner'
strategy = dict(
    type='umgclip_mm.FSDPStrategy',
    model_wrapper=dict(
        # one FSDP unit per transformer block of either tower; embeddings, norms, projections in the root unit
        auto_wrap_policy=dict(type='umgclip_mm.transformer_block_wrap_policy'),
        sharding_strategy='FULL_SHARD',
        backward_prefetch='BACKWARD_PRE'),
    # a directory per checkpoint, each rank writing its shard of the weights and AdamW's moments (DCP's format);
    # 'full' gathers one ordinary file on rank 0 instead (tools/analysis/memory_plan.py prints both)
    state_dict_cfg='sharded')
# the checkpoints are directories: iter_<N>, not iter_<N>.pth
default_hooks = dict(checkpoint=dict(filename_tmpl='iter_{}'))
# AMP as in the DDP config (bf16 autocast, fp32 master weights), with FSDP's sharded loss scaler, and gradient
# clipping by the norm over all shards (mmengine's OptimWrapper would clip each rank by its own shard's norm)
optim_wrapper = dict(type='umgclip_mm.FSDPAmpOptimWrapper')
