"""Print the catalogue of problem codes as the README's table: `python -m api.problem_table`."""

from __future__ import annotations

from api.errors import problem_codes
from api.problems import markdown_table


def main() -> None:
    print(markdown_table(problem_codes()), end="")


if __name__ == "__main__":
    main()
