from .clip import (convert_clip, convert_state_dict, detect_layout, infer_model_config, load_source, save_config,
                   umgclip_to_hf)

__all__ = ['convert_clip', 'convert_state_dict', 'detect_layout', 'infer_model_config', 'load_source', 'save_config',
           'umgclip_to_hf']
