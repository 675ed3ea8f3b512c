"""Tiny random-weight CLIP models of transformers and open_clip, to convert and compare against (no download)."""
import torch


def make_open_clip(act='gelu', width=128, text_width=128, custom_text=False):
    """An open_clip CLIP (or CustomTextCLIP) with 64-dim heads, so converter defaults apply."""
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg, CustomTextCLIP
    torch.manual_seed(0)
    vision = CLIPVisionCfg(layers=2, width=width, head_width=64, patch_size=8, image_size=32)
    text = CLIPTextCfg(context_length=77, vocab_size=49408, width=text_width, heads=text_width // 64, layers=2)
    cls = CustomTextCLIP if custom_text else CLIP
    model = cls(embed_dim=48, vision_cfg=vision, text_cfg=text, quick_gelu=(act == 'quick_gelu'))
    with torch.no_grad():  # open_clip zero-inits some biases; randomise everything so no mapping error hides
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return model.eval()


def make_hf_clip(act='quick_gelu'):
    from transformers import CLIPConfig, CLIPModel
    torch.manual_seed(0)
    cfg = CLIPConfig(
        text_config=dict(vocab_size=49408, hidden_size=64, intermediate_size=256, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=77, hidden_act=act),
        vision_config=dict(hidden_size=96, intermediate_size=384, num_hidden_layers=2, num_attention_heads=3,
                           image_size=32, patch_size=8, hidden_act=act),
        projection_dim=48)
    model = CLIPModel(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return model.eval()
