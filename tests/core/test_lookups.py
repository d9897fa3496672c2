"""core.lookups: ``field__any=[...]`` selects what ``field__in=[...]`` selects, on plain and related fields."""

from tongxin.registry.models import Household, Membership, Person


def test_any_selects_what_in_selects(world):
    households = [Household.objects.create(community=world.a, number=f"A{i}") for i in range(4)]
    chosen = [households[0].pk, households[2].pk, 10**9]
    assert set(Household.objects.filter(pk__any=chosen)) == set(Household.objects.filter(pk__in=chosen))
    assert set(Household.objects.filter(pk__any=chosen)) == {households[0], households[2]}
    numbers = ["A1", "A3", "nowhere"]
    assert sorted(Household.objects.filter(number__any=numbers).values_list("number", flat=True)) == ["A1", "A3"]
    assert not Household.objects.filter(pk__any=[]).exists()
    assert Household.objects.exclude(pk__any=chosen).count() == 2


def test_any_on_a_foreign_key_and_its_column(world):
    household = Household.objects.create(community=world.a, number="F1")
    people = [Person.objects.create(community=world.a, name=f"人{i}", sex="1") for i in range(3)]
    for p in people[:2]:
        Membership.objects.create(community=world.a, household=household, person=p)
    by_column = Membership.objects.filter(person_id__any=[people[0].pk, people[2].pk])
    by_field = Membership.objects.filter(person__any=[people[0].pk, people[2].pk])
    assert [m.person_id for m in by_column] == [m.person_id for m in by_field] == [people[0].pk]
