SHELL := /bin/bash
UV_DIR := $(shell .ci/ensure-uv)
export PATH := $(UV_DIR):$(PATH)
HOST ?= 127.0.0.1
PORT ?= 8000
SITE_URL ?= http://$(HOST):$(PORT)
export HOST PORT SITE_URL

.PHONY: run test install migrate seed benchmark-seed

## Install, migrate, load the demo data when the database is empty, then serve the app with its worker and beat.
run: migrate
	@uv run python manage.py seed_demo --if-empty
	@echo
	@echo "  Pilotgate is starting at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Sign in with one of the demo logins above. Stop with Ctrl-C."
	@echo
	uv run honcho -f Procfile.dev start

## Lint, checks and the whole test suite against real PostgreSQL and Redis.
test: install
	.ci/services .ci/test

install:
	uv sync --frozen

migrate: install
	uv run python manage.py migrate --noinput
