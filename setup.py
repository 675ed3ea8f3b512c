"""Install umgclip_mm: ``pip install -e .`` (dependencies: ``tools/install.sh`` or ``make install``)."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name):
    """Return the requirement lines of ``requirements/<name>.txt`` without comments."""
    with open(osp.join(HERE, 'requirements', name + '.txt'), encoding='utf-8') as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def read_version():
    namespace = {}
    with open(osp.join(HERE, 'umgclip_mm', 'version.py'), encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='umgclip_mm',
    version=read_version(),
    description='UMG-CLIP (a CLIP aligned with text at image, region and pixel level) for OpenMMLab: its '
    'pretraining, and open-vocabulary panoptic segmentation on the frozen towers.',
    long_description=open(osp.join(HERE, 'README.md'), encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['umgclip_mm', 'umgclip_mm.*']),
    include_package_data=True,
    package_data={'umgclip_mm.vocabulary': ['class_lists/*.txt']},  # ade20k_847.txt, ...: build_vocabulary(class_list=)
    python_requires='>=3.9',
    install_requires=read_requirements('runtime') + read_requirements('mmcv'),
    extras_require={'tests': read_requirements('tests')},
    license='Apache-2.0',
    zip_safe=False,
)
