"""Fewer index entries per imported person and household: the community's own index goes (the composite
indexes that start with it serve), and the party branch, the dwelling and the phone hashes are indexed only
where set (most residents are not party members, most households have no dwelling, many residents have no
phone; a blank value is never looked up)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0001_initial'),
        ('registry', '0006_reference_keys_unchecked'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='person',
            name='registry_person_phone_hash',
        ),
        migrations.RemoveIndex(
            model_name='person',
            name='registry_person_phone_tail',
        ),
        migrations.AlterField(
            model_name='household',
            name='community',
            field=models.ForeignKey(db_constraint=False, db_index=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='households', to='org.division', verbose_name='所属社区/村'),
        ),
        migrations.AlterField(
            model_name='household',
            name='dwelling',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='households', to='registry.dwelling', verbose_name='房屋'),
        ),
        migrations.AlterField(
            model_name='person',
            name='community',
            field=models.ForeignKey(db_constraint=False, db_index=False, limit_choices_to={'level': 'community'}, on_delete=django.db.models.deletion.PROTECT, related_name='persons', to='org.division', verbose_name='所属社区/村'),
        ),
        migrations.AlterField(
            model_name='person',
            name='party_branch',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='members', to='registry.partybranch', verbose_name='所在党组织'),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(condition=models.Q(('dwelling__isnull', False)), fields=['dwelling'], name='registry_household_dwelling'),
        ),
        migrations.AddIndex(
            model_name='person',
            index=models.Index(condition=models.Q(('phone_hash', ''), _negated=True), fields=['phone_hash'], name='registry_person_phone_hash'),
        ),
        migrations.AddIndex(
            model_name='person',
            index=models.Index(condition=models.Q(('phone_tail', ''), _negated=True), fields=['phone_tail'], name='registry_person_phone_tail'),
        ),
        migrations.AddIndex(
            model_name='person',
            index=models.Index(condition=models.Q(('party_branch__isnull', False)), fields=['party_branch'], name='registry_person_branch'),
        ),
    ]
