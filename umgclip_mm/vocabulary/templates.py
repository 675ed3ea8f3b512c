"""Prompt templates a class name is embedded with (each has one ``{}``); the class embedding averages over them."""

# A subset of CLIP's ImageNet prompts, as ViLD and FC-CLIP use for segmentation and detection.
DEFAULT_TEMPLATES = (
    'a photo of a {}.', 'a photo of the {}.', 'a photo of many {}.', 'a good photo of a {}.',
    'a cropped photo of a {}.', 'a close-up photo of the {}.', 'a bright photo of the {}.', 'a dark photo of the {}.',
    'this is a photo of a {}.', 'there is a {} in the scene.', 'there is the {} in the scene.',
    'itap of a {}.', 'a photo of a small {}.', 'a photo of a large {}.')


def check_templates(templates) -> tuple:
    """Return ``templates`` as a tuple; raise a ValueError unless each has exactly one ``{}``."""
    templates = (templates, ) if isinstance(templates, str) else tuple(templates)
    if not templates or any(not isinstance(t, str) or t.count('{}') != 1 for t in templates):
        raise ValueError(f'every prompt template needs exactly one "{{}}" for the class name, got {templates}')
    return templates
