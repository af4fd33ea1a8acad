
#compdef mem0cli

_mem0cli_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _MEM0CLI_COMPLETE=complete_zsh mem0cli)
}

compdef _mem0cli_completion mem0cli

