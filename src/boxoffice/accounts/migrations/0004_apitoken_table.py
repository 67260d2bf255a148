# The token table takes the accounts app's name (the foreign keys follow the rename).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_apitoken"),
        ("api", "0003_apitoken_moves_to_accounts"),
    ]

    operations = [
        migrations.AlterModelTable(name="apitoken", table=None),
    ]
