import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    """Appends each message as one JSON line to ``SMS_FILE_PATH/messages.jsonl``.

    Works across processes, so a test can read what a Celery worker sent.
    """

    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.path = Path(file_path or settings.SMS_FILE_PATH)

    def send_messages(self, messages):
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / "messages.jsonl", "a", encoding="utf-8") as out:
            for message in messages:
                line = {"to": message.to, "body": self.format(message), "sent_at": timezone.now().isoformat()}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return len(messages)


def read_messages(file_path=None) -> list[dict]:
    path = Path(file_path or settings.SMS_FILE_PATH) / "messages.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
