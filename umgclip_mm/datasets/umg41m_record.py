"""umg41m_record: one per-image JSON of the released UMG-41M as this project's record (docs/data_format.md)."""


def umg41m_record(meta: dict) -> dict:
    """Map one per-image JSON of the released UMG-41M to our record (docs/data_format.md).

    The release's field names are not published. This function is the one place to adapt once the real files are
    at hand; it accepts our own field names and these aliases: ``caption`` (a string) for ``captions``,
    ``objects`` for ``regions``, ``segments`` for ``masks``, ``box`` for ``bbox``, ``caption`` / ``tag`` (strings)
    inside items. ``height``/``width`` may be absent (they are then read off the decoded image).
    """
    def texts(d, plural, singular):
        value = d.get(plural, d.get(singular, []))
        return [value] if isinstance(value, str) else list(value or [])

    def item(d, geometry):
        out = dict(captions=texts(d, 'captions', 'caption'), tags=texts(d, 'tags', 'tag'))
        if geometry == 'bbox':
            out['bbox'] = d.get('bbox', d.get('box'))
        else:
            out['segmentation'] = d.get('segmentation', d.get('mask'))
        return out

    return dict(height=meta.get('height'), width=meta.get('width'), captions=texts(meta, 'captions', 'caption'),
                tags=texts(meta, 'tags', 'tag'),
                regions=[item(r, 'bbox') for r in meta.get('regions', meta.get('objects', [])) or []],
                masks=[item(m, 'segmentation') for m in meta.get('masks', meta.get('segments', [])) or []])
