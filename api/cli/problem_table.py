"""Print the catalogue of problem codes as the README's table: `python -m api.cli.problem_table`."""

from __future__ import annotations

from api.core.errors import problem_codes
from api.core.problems import markdown_table


def main() -> None:
    print(markdown_table(problem_codes()), end="")


if __name__ == "__main__":
    main()
