"""The reload diff is pure and complete: for any two valid trees, replaying the plan on the
first gives the second, and whatever the plan does not name is left alone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from supervision import ReloadChange, TreeSpec, diff_trees
from supervision.config._tree import parse_tree
from supervision.reload._model import Node, RunningModel, flatten

from ._trees import A, trees


def replay(old: TreeSpec, new: TreeSpec) -> TreeSpec:
    """Record every change of the plan as ``apply_tree`` does, without a running tree."""
    model = RunningModel(old)
    nodes: dict[str, Node] = {}
    order: dict[str, list[str]] = {}
    flatten(new.tree, model.root, nodes, order)
    for change in diff_trees(old, new).changes:
        model.record(change, nodes.get(change.path), model.order_after(change, order))
    return model.spec()


def paths(spec: TreeSpec) -> dict[str, Node]:
    found: dict[str, Node] = {}
    flatten(spec.tree, f"/{spec.tree.name}", found, {})
    return found


@settings(max_examples=60, deadline=None)
@given(trees())
def test_a_tree_diffed_with_itself_has_no_changes(tree: TreeSpec) -> None:
    plan = diff_trees(tree, tree)
    assert plan.is_empty
    assert plan.lines() == ["0 changes"]


@settings(max_examples=60, deadline=None)
@given(trees(), trees())
def test_replaying_the_plan_on_the_first_tree_gives_the_second(
    old: TreeSpec, new: TreeSpec
) -> None:
    assert replay(old, new) == new


@settings(max_examples=60, deadline=None)
@given(trees(), trees())
def test_the_plan_names_only_what_differs(old: TreeSpec, new: TreeSpec) -> None:
    before, after = paths(old), paths(new)
    plan = diff_trees(old, new)
    for change in plan.changes:
        if change.action == "add":
            assert change.path not in before
            assert change.path in after
        elif change.action == "remove":
            assert change.path in before
            assert change.path not in after
        else:
            assert change.path in before
            assert change.path in after
    named = {change.path for change in plan.changes}
    actions = [(change.path, change.action != "move") for change in plan.changes]
    assert len(set(actions)) == len(actions), "one move and one other change at most per path"
    for path, node in after.items():
        if path in before and path not in named:
            old_node = before[path]
            assert type(old_node) is type(node)
            if hasattr(node, "children"):  # a supervisor's children are diffed one by one
                assert _without_children(old_node) == _without_children(node)
            else:
                assert old_node == node


def _without_children(node: Node) -> object:
    import msgspec

    return msgspec.structs.replace(node, children=())  # type: ignore[call-arg]


def _tree(*children: str, root: str = "shop", settings: str = "") -> TreeSpec:
    text = f'[tree]\nname = "{root}"\n{settings}\n' + "".join(children)
    return parse_tree(text, "toml")


def _worker(name: str, extra: str = "", parent: str = "tree.children") -> str:
    return f'[[{parent}]]\nname = "{name}"\nactor = "{A}:Echo"\n{extra}\n'


def test_the_plan_says_which_fields_changed_and_how_each_is_applied() -> None:
    old = _tree(
        _worker("orders"),
        _worker("payments", "mailbox = { capacity = 5 }"),
        _worker("audit"),
        '[[tree.children]]\nname = "pool"\nactor = "' + A + ':Echo"\npool = { size = 2 }\n',
    )
    new = _tree(
        _worker("payments", 'mailbox = { capacity = 50, overflow = "reject" }'),
        _worker("orders", 'args = { greeting = "yo" }'),
        '[[tree.children]]\nname = "pool"\nactor = "' + A + ':Echo"\npool = { size = 4 }\n',
        _worker("audit-log"),
        settings="max_restarts = 9",
    )
    assert diff_trees(old, new).lines() == [
        "settings /shop (max_restarts)",
        "remove   /shop/audit: looks renamed to /shop/audit-log (a new name: remove + add)",
        "move     /shop/orders",
        "update   /shop/payments (mailbox.capacity, mailbox.overflow)",
        "restart  /shop/orders (args)",
        "update   /shop/pool (pool.size)",
        "add      /shop/audit-log: looks renamed from /shop/audit (a new name: remove + add)",
        "7 changes (1 settings, 1 remove, 1 move, 2 update, 1 restart, 1 add)",
    ]


def test_a_child_under_another_supervisor_is_removed_and_added_and_said_to_move() -> None:
    old = _tree(
        '[[tree.children]]\nname = "left"\nkind = "supervisor"\n',
        _worker("job", parent="tree.children.children"),
        '[[tree.children]]\nname = "right"\nstrategy = "one_for_all"\n',
    )
    new = _tree(
        '[[tree.children]]\nname = "left"\nkind = "supervisor"\n',
        '[[tree.children]]\nname = "right"\nstrategy = "one_for_all"\n',
        _worker("job", parent="tree.children.children"),
    )
    plan = diff_trees(old, new)
    assert [change.line() for change in plan.changes] == [
        "remove   /shop/left/job: moves to /shop/right/job (another path: remove + add)",
        "add      /shop/right/job: moved from /shop/left/job (another path: remove + add)",
    ]


def test_a_kind_change_is_a_replace_and_a_root_rename_is_refused() -> None:
    old = _tree(_worker("job"))
    new = _tree('[[tree.children]]\nname = "job"\nactor = "' + A + ':Echo"\npool = { size = 2 }\n')
    assert diff_trees(old, new).changes == (
        ReloadChange("replace", "/shop/job", ("kind",), "worker -> pool"),
    )
    renamed = diff_trees(old, _tree(_worker("job"), root="store"))
    assert renamed.root_renamed == "store"
    assert renamed.changes == ()


def test_system_and_root_settings_are_listed_as_ignored() -> None:
    old = _tree(_worker("job"))
    new = parse_tree(
        '[system]\nblocking_threads = 2\n[tree]\nname = "shop"\nshutdown = 3.0\n'
        "mailbox = { capacity = 9 }\n" + _worker("job"),
        "toml",
    )
    plan = diff_trees(old, new)
    assert plan.is_empty
    assert plan.ignored == ("system.blocking_threads", "tree.shutdown", "tree.mailbox.capacity")
    assert plan.lines()[-1] == "0 changes"


@given(st.data())
@settings(max_examples=20, deadline=None)
def test_the_summary_counts_every_change(data: st.DataObject) -> None:
    plan = diff_trees(data.draw(trees()), data.draw(trees()))
    assert sum(plan.summary().values()) == len(plan.changes)


def test_a_durable_subscription_change_restarts_and_a_plain_one_is_in_place() -> None:
    from supervision import SupervisorSpec, WorkerSpec
    from supervision.config._durable_spec import DurableSubscriptionSpec

    def spec(*subscribe: str | DurableSubscriptionSpec) -> TreeSpec:
        worker = WorkerSpec(name="billing", actor=f"{A}:Echo", subscribe=subscribe)
        return TreeSpec(tree=SupervisorSpec(name="shop", children=(worker,)))

    durable = DurableSubscriptionSpec(pattern="orders.paid", durable="billing")
    assert [c.line() for c in diff_trees(spec("audit.>"), spec("audit.>", "news.>")).changes] == [
        "update   /shop/billing (subscribe)"
    ]
    assert [c.line() for c in diff_trees(spec("audit.>"), spec("audit.>", durable)).changes] == [
        "restart  /shop/billing (subscribe)"
    ]
