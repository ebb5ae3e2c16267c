# The two commands a newcomer needs: `make run` and `make test`.
UV := python3 -m uv
PORT ?= 8000
# The worker and gunicorn both see it: links in messages point at this port (docs/configuration.md).
export PORT
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run serve test lint types unit contract e2e bench clean

install:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@# Front-end packages (package.json, exact versions): the CSS framework served by Django's
	@# static files, and axe-core for the browser tests' accessibility check.
	@if [ -f package.json ]; then npm ci --no-audit --no-fund; fi

run: install
	$(UV) run retainops migrate --noinput
	$(UV) run retainops seed_demo
	$(UV) run retainops collectstatic --noinput --verbosity 0
	@echo "RetainOps on http://127.0.0.1:$(PORT)/ (demo logins are listed on the login page)"
	@# The worker delivers messages beside the web server; Ctrl-C stops both.
	trap 'kill 0' INT TERM EXIT; \
	$(UV) run retainops worker & \
	$(UV) run gunicorn retainops.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile -

lint:
	$(UV) run ruff check src tests bench conftest.py
	$(UV) run ruff format --check src tests bench conftest.py
	@# Apps form layers (pyproject's [tool.importlinter]): none imports an app above it.
	$(UV) run lint-imports

types:
	$(UV) run mypy

unit:
	$(UV) run pytest $(PYTEST_ARGS)

# The API against its own OpenAPI document (schemathesis, bounded and seeded).
contract:
	$(UV) run python -m tests.contract.run

test: install lint types unit contract

bench: install
	$(UV) run python -m bench.run_all

clean:
	rm -rf var/*.sqlite3* staticfiles node_modules .pytest_cache .mypy_cache .ruff_cache
