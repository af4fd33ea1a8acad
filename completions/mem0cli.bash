
_mem0cli_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _MEM0CLI_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _mem0cli_completion mem0cli

