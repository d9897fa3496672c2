"""A throw-away module of the platform's acceptance test: only the test settings install it."""

from tongxin.core import hooks


class SampleConfig(hooks.ModuleConfig):
    """Home visits, declared against the platform only."""

    name = "tests.sample"
    label = "sample"
    verbose_name = "走访（测试模块）"
