from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0005_message_run'),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='interruptions',
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
    ]
