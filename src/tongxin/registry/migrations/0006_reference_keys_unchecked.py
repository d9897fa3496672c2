"""References into the division tree and to grids keep no database constraint (Django still applies
PROTECT and SET_NULL): each checked reference cost every imported person, household and membership a
trigger at commit."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0001_initial'),
        ('registry', '0005_trim_more_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='building',
            name='community',
            field=models.ForeignKey(db_constraint=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='buildings', to='org.division', verbose_name='所属社区/村'),
        ),
        migrations.AlterField(
            model_name='compound',
            name='community',
            field=models.ForeignKey(db_constraint=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='compounds', to='org.division', verbose_name='所属社区/村'),
        ),
        migrations.AlterField(
            model_name='dwelling',
            name='community',
            field=models.ForeignKey(db_constraint=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='dwellings', to='org.division', verbose_name='所属社区/村'),
        ),
        migrations.AlterField(
            model_name='household',
            name='community',
            field=models.ForeignKey(db_constraint=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='households', to='org.division', verbose_name='所属社区/村'),
        ),
        migrations.AlterField(
            model_name='household',
            name='grid',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='households', to='org.grid', verbose_name='网格'),
        ),
        migrations.AlterField(
            model_name='household',
            name='group',
            field=models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'level': 'group'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='group_households', to='org.division', verbose_name='居民小组'),
        ),
        migrations.AlterField(
            model_name='membership',
            name='community',
            field=models.ForeignKey(db_constraint=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='memberships', to='org.division', verbose_name='所属社区/村'),
        ),
        migrations.AlterField(
            model_name='partybranch',
            name='community',
            field=models.ForeignKey(db_constraint=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='party_branches', to='org.division', verbose_name='所属社区/村'),
        ),
        migrations.AlterField(
            model_name='person',
            name='community',
            field=models.ForeignKey(db_constraint=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='persons', to='org.division', verbose_name='所属社区/村'),
        ),
        migrations.AlterField(
            model_name='person',
            name='grid',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='persons', to='org.grid', verbose_name='网格'),
        ),
        migrations.AlterField(
            model_name='person',
            name='group',
            field=models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'level': 'group'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='group_persons', to='org.division', verbose_name='居民小组'),
        ),
        migrations.AlterField(
            model_name='tag',
            name='community',
            field=models.ForeignKey(db_constraint=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='person_tags', to='org.division', verbose_name='所属社区/村'),
        ),
    ]
