"""The demo space is built through the real services and shows every part of the feature."""

from parcours.spaces.demo import load_spaces_demo
from parcours.spaces.models import Page, ResourceEntry, SpaceMember, Topic


def test_the_demo_space_has_the_meal_directory_a_calendar_and_a_forum_thread(territory):
    t = territory
    load_spaces_demo(
        users={
            "coord.reseaux": t.gp,
            "geriatre.hautanjou": t.doctor,
            "medecin.ville": t.gp2,
            "cellule.hautanjou": t.desk,
            "medecin.hopital": t.pneumo,
            "medecin.ville2": t.desk_beta,
        }
    )
    directory = Page.objects.get(kind="directory")
    assert ResourceEntry.objects.filter(page=directory).count() == 4
    assert directory.space.events.filter(rrule__startswith="FREQ=MONTHLY").exists()
    assert Topic.objects.get().posts.count() == 3
    assert Page.objects.get(title="Le réseau gérontologique").versions.count() == 2
    assert SpaceMember.objects.filter(state="requested").count() == 2
