"""Imported by test subprocesses: freeze their clock at $LIAISON_FAKE_NOW (time-machine, as the tests do)."""

import os
from datetime import datetime

import time_machine

_traveller = time_machine.travel(datetime.fromisoformat(os.environ["LIAISON_FAKE_NOW"]), tick=True)
_traveller.start()
