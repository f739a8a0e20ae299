// Command luacheck runs an Argo CD health script under gopher-lua, the Lua
// 5.1 that Argo CD embeds, the way Argo CD runs one: the live object is the
// global `obj`, the base, table, string and math libraries are open (and no
// file access), and the chunk returns `hs`. It prints hs.status and
// hs.message on two lines, as tests/unit/deploy/health-harness.lua does for
// lua5.4, so tests/unit/deploy can run every health sample under both.
//
//	go build -o luacheck . && ./luacheck SCRIPT.lua < object.json
//
// Its own module, so that its one dependency does not change the hash of
// hack/tools/go.mod, which keys the cached build of the stack's tools.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: luacheck SCRIPT.lua < object.json")
		os.Exit(2)
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var object map[string]any
	if err := json.NewDecoder(os.Stdin).Decode(&object); err != nil {
		fail(fmt.Errorf("the object on stdin is not a JSON object: %w", err))
	}
	status, message, err := health(string(script), object)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s\n%s\n", status, message)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "luacheck:", err)
	os.Exit(1)
}

// health runs the script with `obj` set and reads the table it returns.
func health(script string, object map[string]any) (status, message string, err error) {
	state := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer state.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
	} {
		state.Push(state.NewFunction(lib.open))
		state.Push(lua.LString(lib.name))
		state.Call(1, 0)
	}
	state.SetGlobal("dofile", lua.LNil)
	state.SetGlobal("loadfile", lua.LNil)
	state.SetGlobal("obj", toLua(state, object))
	if err := state.DoString(script); err != nil {
		return "", "", err
	}
	hs, ok := state.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("the script returned %s, not a table", state.Get(-1).Type())
	}
	return luaText(hs.RawGetString("status")), luaText(hs.RawGetString("message")), nil
}

// toLua converts decoded JSON as Argo CD does: objects and arrays become
// tables (arrays from index 1), null becomes nil, numbers are Lua numbers.
func toLua(state *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case map[string]any:
		table := state.NewTable()
		for key, item := range v {
			if item != nil {
				table.RawSetString(key, toLua(state, item))
			}
		}
		return table
	case []any:
		table := state.NewTable()
		for _, item := range v {
			table.Append(toLua(state, item))
		}
		return table
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	default:
		return lua.LNil
	}
}

func luaText(value lua.LValue) string {
	if value == lua.LNil {
		return ""
	}
	return value.String()
}
