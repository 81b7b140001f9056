# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 chromium chromium-driver gettext

.PHONY: run test system-packages venv lint messages prod-check clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

venv: $(VENV)/.installed

system-packages:
	@bash scripts/system-packages.sh $(APT_PACKAGES)

run: system-packages venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: system-packages venv
	$(VENV)/bin/pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

messages: venv
	for app in physicians institutions authority qualifications docregistry/accounts docregistry/registrations; do \
	  (cd $$app && mkdir -p locale && $(CURDIR)/$(PY) $(CURDIR)/manage.py makemessages -l zh_Hans --no-obsolete) ; done
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore='.venv/*' --ignore='physicians/*' \
	  --ignore='institutions/*' --ignore='authority/*' --ignore='qualifications/*' \
	  --ignore='docregistry/accounts/*' --ignore='docregistry/registrations/*' --ignore='bench/*' --ignore='tests/*'
	$(PY) manage.py compilemessages --ignore='.venv/*'

clean:
	rm -rf $(VENV) var db.sqlite3
