"""C++ review: realistic competitive-programming submissions and hostile ones, through
`Sandbox.run(language="cpp")` and `run_tests(language="cpp")`, as open-r1's codeforces data
(`verification_info` with language cpp) feeds them."""

from __future__ import annotations

import shutil

import pytest
from r1reward.sandbox import Limits, Sandbox
from r1reward.sandbox.cpp import CppCache, with_startup
from r1reward.verifiers.code import run_tests

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

LIM = Limits(cpu_s=2, wall_s=3, memory_mb=256)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(workers=2, limits=LIM) as box:
        yield box


def _cpp(sb, source: str, stdin: str = "", limits: Limits | None = None):
    return sb.run(source, language="cpp", stdin=stdin, limits=limits)


# ---- the stack: judges give C++ a stack as large as the memory limit ---------------------------
DEEP_DFS = r"""#include <cstdio>
#include <vector>
std::vector<int> g[1000001];
int depth[1000001];
void dfs(int u, int p) {
  for (int v : g[u]) if (v != p) { depth[v] = depth[u] + 1; dfs(v, u); }
}
int main() {
  int n; scanf("%d", &n);
  for (int i = 1; i < n; i++) { g[i].push_back(i + 1); g[i + 1].push_back(i); }
  dfs(1, 0);
  printf("%d\n", depth[n]);
}
"""


def test_deep_recursive_dfs_is_accepted(sb):
    """A path of a million vertices: an accepted Codeforces solution (stack = memory limit)
    needs about 90 MB of stack; with the usual 8 MB it died of SIGSEGV (runtime_error)."""
    ex = _cpp(sb, DEEP_DFS, "1000000\n")
    assert ex.status == "ok", ex
    assert ex.stdout == "999999\n"


def test_stack_limit_is_the_memory_limit(sb):
    src = (
        "#include <sys/resource.h>\n#include <cstdio>\nint main(){rlimit r;"
        'getrlimit(RLIMIT_STACK,&r);printf("%llu\\n",(unsigned long long)r.rlim_cur);}'
    )
    ex = _cpp(sb, src)
    assert ex.status == "ok" and int(ex.stdout) == 256 << 20, ex
    ex = _cpp(sb, src, limits=Limits(cpu_s=2, wall_s=3, memory_mb=128))  # same binary
    assert ex.status == "ok" and int(ex.stdout) == 128 << 20, ex


def test_infinite_recursion_still_fails(sb):
    src = (
        "#include <cstdio>\nint f(int n){volatile int a[16]; a[0]=n; return f(n+1)+a[0];}\n"
        'int main(){printf("%d\\n", f(0));}'
    )
    ex = _cpp(sb, src)
    assert ex.status in ("memory_limit", "runtime_error"), ex
    assert ex.stdout == ""


def test_threads_keep_small_default_stacks(sb):
    """A thread's default stack follows RLIMIT_STACK in glibc: at 256 MB each under a 256 MB
    address-space cap no thread could start; the startup code keeps them at 8 MB."""
    src = (
        "#include <thread>\n#include <vector>\n#include <atomic>\n#include <cstdio>\n"
        "int main(){std::vector<std::thread> ts; std::atomic<int> c{0};"
        "for(int i=0;i<8;i++) ts.emplace_back([&]{c++;}); for(auto&t:ts) t.join();"
        'printf("%d\\n",(int)c);}'
    )
    ex = _cpp(sb, src)
    assert ex.status == "ok" and ex.stdout == "8\n", ex


def test_startup_code_survives_common_macros(sb):
    src = (
        "#include <bits/stdc++.h>\nusing namespace std;\n#define int long long\n"
        "#define s second\n#define f first\n#define a first\n#define used vis\n"
        "#define weak 1\n#define constructor 2\n#define want 3\n#define C 4\n"
        "signed main(){pair<int,int> p{1,2}; bool used[2]={}; cout<<p.s<<p.f<<used[0]<<want;}"
        "  // a comment ending in a backslash \\"
    )
    ex = _cpp(sb, src)
    assert ex.status == "ok" and ex.stdout == "2103", ex


def test_compile_errors_keep_the_programs_line_numbers(sb):
    ex = _cpp(sb, "#include <cstdio>\n\nint main(){ undeclared(); }\n")
    assert ex.status == "compile_error"
    assert "main.cpp:3:" in ex.stderr and "undeclared" in ex.stderr
    assert "__r1" not in ex.stderr
    assert with_startup("x").startswith("x")  # appended: no line moves


# ---- the cache ---------------------------------------------------------------------------------
def test_cache_does_not_keep_a_result_marked_uncacheable():
    """A compile the sandbox failed (a dead worker, a wall-time kill under load) says nothing
    about the source: a compiler may mark it, and the next run compiles again."""
    cache = CppCache()
    calls = []

    def flaky(source):
        calls.append(source)
        return (None, "sandbox error", False) if len(calls) == 1 else (b"bin", "")

    assert cache.get_or_compile("int main(){}", flaky) == (None, "sandbox error")
    assert cache.get_or_compile("int main(){}", flaky) == (b"bin", "")
    assert cache.get_or_compile("int main(){}", flaky) == (b"bin", "")
    assert len(calls) == 2
    assert cache.get_or_compile("x", lambda s: (None, "error: x")) == (None, "error: x")
    assert cache.get_or_compile("x", lambda s: (b"never", "")) == (None, "error: x")


# ---- what held up (regression guards) -----------------------------------------------------------
def test_typical_solutions(sb):
    fast = (
        "```c++\n#include <bits/stdc++.h>\nusing namespace std;\nint main(){"
        "ios::sync_with_stdio(false);cin.tie(nullptr);long long s=0,x;"
        "while(cin>>x) s+=x; cout<<s<<'\\n';}\n```"
    )
    big = " ".join(["1000000000"] * 400_000)
    tests = [
        {"input": "1 2\n3", "output": "6"},
        {"input": big + "\n", "output": str(400_000 * 1_000_000_000) + "\n"},  # long long, 4 MB
    ]
    v = run_tests(fast, tests, language="cpp", sandbox=sb, limits=LIM)
    assert [o.status for o in v.outcomes] == ["passed", "passed"], v.outcomes
    overflow = (
        '```C++\n#include <cstdio>\nint main(){int a,b;scanf("%d %d",&a,&b);printf("%d",a*b);}\n```'
    )
    v = run_tests(
        overflow, [{"input": "100000 100000", "output": "10000000000"}], language="cpp", sandbox=sb
    )
    assert v.outcomes[0].status == "wrong_answer"


def test_python_and_cpp_blocks_pick_the_cpp_one(sb):
    text = (
        "```python\nprint(int(input()) * 2)\n```\nIn C++:\n```cpp\n#include <cstdio>\n"
        'int main(){int n;scanf("%d",&n);printf("%d\\n",n*2);}\n```\nOutput:\n```\n4\n```'
    )
    v = run_tests(text, [{"input": "2", "output": "4"}], language="cpp", sandbox=sb, limits=LIM)
    assert v.score == 1.0 and v.code is not None and "scanf" in v.code


@pytest.mark.parametrize(
    "src,statuses",
    [
        ("int main(){int*p=0;*p=1;}", {"runtime_error"}),
        ("#include <cstdlib>\nint main(){abort();}", {"runtime_error"}),
        ('#include <stdexcept>\nint main(){throw std::runtime_error("x");}', {"runtime_error"}),
        ("int main(){return 3;}", {"runtime_error"}),
        ("int main(){for(;;);}", {"timeout"}),
        (
            "#include <vector>\nint main(){std::vector<long long> v(100000000,1);return v[3]-1;}",
            {"memory_limit"},
        ),
        ('#include <cstdio>\nint main(){for(;;)puts("flood");}', {"output_limit"}),
        ("#include </dev/zero>\nint main(){}", {"compile_error"}),
        ('#include "/etc/shadow"\nint main(){}', {"compile_error"}),
    ],
)
def test_failures_get_their_verdict(sb, src, statuses):
    ex = _cpp(sb, src, limits=Limits(cpu_s=1, wall_s=2, memory_mb=256))
    assert ex.status in statuses, ex
    assert "root:" not in ex.stderr


ONLINE_JUDGE_TEMPLATE = r"""#include <bits/stdc++.h>
int main() {
#ifndef ONLINE_JUDGE
  freopen("input.txt", "r", stdin);
  freopen("output.txt", "w", stdout);
#endif
  long long a, b;
  std::cin >> a >> b;
  std::cout << a + b << "\n";
}
"""


def test_the_online_judge_template_reads_stdin(sb):
    """Codeforces defines ONLINE_JUDGE; without it the common template read input.txt and
    wrote output.txt, so a right answer printed nothing."""
    v = run_tests(
        f"```cpp\n{ONLINE_JUDGE_TEMPLATE}```",
        [{"input": "2 3\n", "output": "5\n"}],
        language="cpp",
        sandbox=sb,
        limits=LIM,
    )
    assert v.fraction == 1.0, v


def test_output_past_the_default_cap_passes_when_expected(sb):
    """A right answer must fit: 300,000 lines (3.4 MB) were cut at the 1 MB output cap."""
    program = (
        "import sys\nn = int(input())\nsys.stdout.write(''.join(f'{i}\\n' for i in range(n)))\n"
    )
    n = 300_000
    expected = "".join(f"{i}\n" for i in range(n))
    v = run_tests(program, [{"input": f"{n}\n", "output": expected}], sandbox=sb, limits=LIM)
    assert v.fraction == 1.0, v.outcomes
    flood = run_tests(program, [{"input": f"{n}\n", "output": "0\n"}], sandbox=sb, limits=LIM)
    assert flood.outcomes[0].status == "output_limit"  # the cap still bounds a wrong flood


def test_a_compile_error_reports_the_compilers_message(sb):
    v = run_tests(
        "```cpp\nint main() { return undefined_name; }\n```",
        [{"input": "", "output": ""}],
        language="cpp",
        sandbox=sb,
        limits=LIM,
    )
    assert v.outcomes[0].status == "compile_error"
    assert "undefined_name" in v.outcomes[0].detail, v.outcomes[0]


def test_a_compile_the_sandbox_failed_is_a_sandbox_error_and_not_cached():
    """A dead worker or similar says nothing about the source: reported as a sandbox error,
    and the next run compiles again."""
    from r1reward.sandbox.limits import Execution
    from r1reward.sandbox.pool import RawRun

    with Sandbox(workers=1, limits=LIM) as box:
        real = box._dispatch
        calls = {"n": 0}

        def failing_once(header, blobs, lim):
            if header.get("lang") == "argv" and calls["n"] == 0:
                calls["n"] += 1
                return RawRun(
                    Execution("sandbox_error", None, "", "", 0.0, 0.0, 0.0, "worker died"),
                    b"",
                    b"",
                    b"",
                )
            return real(header, blobs, lim)

        box._dispatch = failing_once
        source = '#include <cstdio>\nint main() { puts("hi"); }\n'
        first = box.run(source, language="cpp")
        assert first.status == "sandbox_error" and "worker died" in first.detail, first
        second = box.run(source, language="cpp")
        assert second.status == "ok" and second.stdout == "hi\n", second


# ---- compile limits ---------------------------------------------------------------------------
# Each constant expression stays under g++'s per-evaluation operation limit; together they keep
# the compiler busy for tens of seconds (`n` makes each source distinct, so none is cached).
SLOW_COMPILE = r"""
constexpr long burn(long k) {
  long s = k;
  for (long i = 0; i < 2500; ++i)
    for (long j = 0; j < 2500; ++j) s += i ^ j;
  return s;
}
#define B(n) constexpr long v##n = burn(n);
B(0) B(1) B(2) B(3) B(4) B(5) B(6) B(7) B(8) B(9) B(10) B(11) B(12) B(13) B(14) B(15)
int main() { return (int)(v0 & v15 & 1); }
// %d
"""


def _timed_cpp(sb, source):
    import time

    t0 = time.monotonic()
    ex = sb.run(source, language="cpp")
    return ex, time.monotonic() - t0


def test_compile_limits_bound_a_hostile_compile():
    """The compile had fixed limits (20 s of CPU): a source of slow constant expressions held
    the worker that long whatever the caller chose; `compile_limits` bounds it."""
    lim = Limits(cpu_s=1, wall_s=5, memory_mb=512)
    with Sandbox(workers=1, limits=LIM, compile_limits=lim) as box:
        ex, wall = _timed_cpp(box, SLOW_COMPILE % 1)
        assert ex.status == "compile_error" and wall < 4, (ex, wall)
        # killed by its CPU limit: a property of the source, so kept
        again, wall = _timed_cpp(box, SLOW_COMPILE % 1)
        assert again.status == "compile_error" and wall < 0.5, (again, wall)


def test_compile_killed_by_the_wall_limit_is_not_cached():
    """A compile starved by concurrent runs reached its wall limit with CPU to spare; it was
    cached as a compile error, so a right program failed for the Sandbox's lifetime."""
    lim = Limits(cpu_s=20, wall_s=1, memory_mb=512)
    with Sandbox(workers=1, limits=LIM, compile_limits=lim) as box:
        ex, wall = _timed_cpp(box, SLOW_COMPILE % 2)
        assert ex.status == "compile_error" and 0.9 < wall < 4, (ex, wall)
        again, wall = _timed_cpp(box, SLOW_COMPILE % 2)  # compiled again, not served cached
        assert again.status == "compile_error" and wall > 0.9, (again, wall)


def test_compile_that_sits_idle_is_cached():
    """`#include "/dev/fd/1"` makes the compiler read its own output and wait, with no CPU
    spent, until the wall limit: the source's doing, so kept (else every copy waits again)."""
    lim = Limits(cpu_s=20, wall_s=1.5, memory_mb=512)
    source = '#include "/dev/fd/1"\nint main() {}\n'
    with Sandbox(workers=1, limits=LIM, compile_limits=lim) as box:
        ex, wall = _timed_cpp(box, source)
        assert ex.status == "compile_error" and wall > 1.4, (ex, wall)
        again, wall = _timed_cpp(box, source)
        assert again.status == "compile_error" and wall < 0.5, (again, wall)


def test_concurrent_copies_of_a_source_share_one_compile():
    """A GRPO group's identical completions arrive at once: the waiting callers take the first
    compile's result, even one that is not cached, instead of compiling again one by one."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    lim = Limits(cpu_s=20, wall_s=1, memory_mb=512)
    source = SLOW_COMPILE % 3
    with Sandbox(workers=3, limits=LIM, compile_limits=lim) as box:
        t0 = time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            runs = list(pool.map(lambda _: box.run(source, language="cpp"), range(3)))
        elapsed = time.monotonic() - t0
    assert [ex.status for ex in runs] == ["compile_error"] * 3
    assert elapsed < 1.9, elapsed  # one compile's wall limit, not three in a row
