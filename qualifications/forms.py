from django import forms
from django.utils.translation import gettext_lazy as _


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_(
            "CSV (UTF-8 or GBK, as saved by Excel or WPS) or XLSX. The first row names the columns: "
            "姓名, 身份证号, 资格证书编码, 级别, 类别, 取得资格时间 (or the English names); other columns are kept."
        ),
    )
    dry_run = forms.BooleanField(label=_("Only check the file, write nothing (dry run)"), required=False)
