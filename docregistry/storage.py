"""Static files in production: hashed names and compressed copies, served by whitenoise."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    def keep(pattern):
        regex = pattern[0] if isinstance(pattern, tuple) else pattern
        return "sourceMappingURL" not in regex

    return tuple((ext, tuple(p for p in pats if keep(p))) for ext, pats in patterns)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Like whitenoise's, but leaves ``sourceMappingURL`` comments alone.

    Vendored minified files (Bootstrap) name source maps we do not ship;
    Django would refuse to collect them ("could not be found").
    """

    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
