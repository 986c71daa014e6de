"""Hostile inputs shared by the loader and upload tests."""

# Nine levels of aliases, each list nine times the one before: 9**9 strings once expanded.
ALIAS_BOMB = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "tags: *i\ntitle: *i\n---\n\nBody text.\n"
)
