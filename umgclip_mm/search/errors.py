"""Typed errors of the search index: a tool's ``main`` turns them into messages and exit codes."""


class SearchIndexError(ValueError):
    """An index folder that cannot be opened or resumed: a missing or foreign manifest, a shard that disagrees with
    it, a build resumed with another model, collection or proposal source."""


class CollectionError(ValueError):
    """A collection (UMG JSON-lines, COCO JSON or folder of images) that cannot be read; the message names the file,
    the field and the fix."""


class BadImageError(ValueError):
    """One image of a collection that cannot be used (missing, undecodable, truncated, or of another size than its
    record says): the build skips it, counts it and names it in the log."""
