# The toy pretraining of pretrain_synthetic.py, sharded by FSDP (mmengine's FlexibleRunner with FSDPStrategy): the
# configuration of the E/14 sharded preset (configs/umgclip/*-fsdp-*.py) at toy scale, float32. It runs on CPU
# processes too (gloo; what tests/test_tools/test_sharded_training.py does, comparing it with the DDP run):
#   bash tools/dist_train.sh configs/quickstart/pretrain_fsdp_synthetic.py 2
_base_ = './pretrain_synthetic.py'

runner_type = 'FlexibleRunner'
strategy = dict(
    type='umgclip_mm.FSDPStrategy',
    model_wrapper=dict(auto_wrap_policy=dict(type='umgclip_mm.transformer_block_wrap_policy')),
    # Checkpoints in the ordinary layout (gathered on rank 0): task configs read them as they are. The E/14 preset
    # writes sharded ones instead ('sharded': a directory per checkpoint, each rank its shard; consolidate with
    # tools/model_converters/consolidate_checkpoint.py). Both resume exactly, at any world size.
    state_dict_cfg='full')
optim_wrapper = dict(type='umgclip_mm.FSDPOptimWrapper', clip_grad=dict(max_norm=1.0))
